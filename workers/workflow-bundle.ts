import path from 'node:path';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Logger as TemporalLogger } from '@temporalio/common';

/** The workflow bundle's entry: every workflow type of the `somagent` task queue. */
export const WORKFLOWS_PATH = require.resolve('../workflows');

/**
 * Workflow interceptor modules every SomaGent bundle carries: the gate context header on every
 * activity, and the approval header on an activity re-scheduled after an `approve` signal.
 */
export const WORKFLOW_INTERCEPTOR_MODULES: readonly string[] = [
  require.resolve('../workflows/gate-context-interceptor'),
  require.resolve('../workflows/approval-interceptor'),
  require.resolve('../workflows/identity-interceptor'),
];

/**
 * Stateless libraries loaded once per reused V8 context rather than once per workflow (see
 * `workflows/preloaded-libraries.ts`). Part of the bundle's code like the interceptors.
 */
export const WORKFLOW_PRELOAD_MODULES: readonly string[] = [
  require.resolve('../workflows/preloaded-libraries'),
];

/**
 * Bundles the workflows with their interceptor modules, for workers that start from a prebuilt
 * bundle (tests, replayers, images that bundle at build time). The same bundle must be used to
 * replay histories: the interceptors are part of the workflow code.
 */
export async function bundleSomagentWorkflows(
  options: { logger?: TemporalLogger } = {},
): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules: [...WORKFLOW_INTERCEPTOR_MODULES],
    preloadModules: [...WORKFLOW_PRELOAD_MODULES],
    ...(options.logger ? { logger: options.logger } : {}),
  });
}

/** Folder of the workflow sources (for cache keys). */
export const WORKFLOWS_DIR = path.dirname(WORKFLOWS_PATH);
