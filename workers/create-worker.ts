import type { NativeConnection } from '@temporalio/worker';
import { Worker } from '@temporalio/worker';
import type { Pool } from 'pg';
import type { Registry } from 'prom-client';
import { createExecution, RUN_INPUTS_ACTIVITY, RUN_INPUTS_TOOL, runInputsToolCall } from '../activities';
import { createCapsuleLoaderActivities } from '../activities/capsule-loader';
import { createIdentityActivities } from '../activities/identity';
import type { ToolDescriptor } from '../activities/tools/registry';
import { createCapsuleRegistry } from '../capsules/registry/registry-store';
import type { VerificationKeys } from '../services/auth';
import type { Config } from '../services/config';
import type { Logger } from '../services/logger';
import { createDataConverter } from '../services/payloads';
import type { Redis } from '../services/redis';
import {
  createConstitutionGate,
  createGateMetrics,
  DEFAULT_TOOL_ACTIVITIES,
  toolCatalogFromRegistry,
  type ConstitutionHolder,
  type DescribeActivityOptions,
  type ToolCatalog,
  type ToolRegistryView,
} from './gate';
import { WORKFLOW_INTERCEPTOR_MODULES, WORKFLOW_PRELOAD_MODULES, WORKFLOWS_PATH } from './workflow-bundle';

/**
 * How the worker's gate finds the tool of an activity: the tool registry for tool calls and the
 * memory activities, plus `writeRunInputs`, judged as the tool `workspace.inputs` (a low-risk
 * filesystem write that is not in the registry, so personas cannot call it).
 */
export function gateToolOptions(
  registry: ToolRegistryView,
): Required<Pick<DescribeActivityOptions, 'toolCatalog' | 'toolActivities'>> {
  const registryCatalog = toolCatalogFromRegistry(registry);
  const toolCatalog: ToolCatalog = (toolId, args) =>
    toolId === RUN_INPUTS_TOOL.id ? { ...RUN_INPUTS_TOOL } : registryCatalog(toolId, args);
  return {
    toolCatalog,
    toolActivities: { ...DEFAULT_TOOL_ACTIVITIES, [RUN_INPUTS_ACTIVITY]: runInputsToolCall },
  };
}

/** How long running activities get to finish when the worker shuts down. */
export const WORKER_SHUTDOWN_GRACE_TIME = '30 seconds';

export interface SomagentWorkerDeps {
  config: Config;
  logger: Logger;
  connection: NativeConnection;
  pool: Pool;
  redis: Redis;
  /** The constitution in force (started by the caller). */
  holder: Pick<ConstitutionHolder, 'current'>;
  /** Prebuilt bundle (see `bundleSomagentWorkflows`); otherwise the worker bundles at start. */
  workflowBundle?: { code: string };
  /** @default config.TEMPORAL_TASK_QUEUE */
  taskQueue?: string;
  /** Extra tools beside the built-ins (executed and described to the gate alike). */
  tools?: ToolDescriptor[];
  /** Where the gate's metrics go; omitted: no metrics. */
  metricsRegistry?: Registry;
  /** Workflow cache size; omitted: the SDK's default (sized from the heap limit). */
  maxCachedWorkflows?: number;
  /**
   * Keys approvers' tokens are checked with when AUTH_PUBLIC_KEY / AUTH_JWKS are unset (outside
   * production: the local development key). Omitted and unconfigured: every token is refused.
   */
  identityFallbackKeys?: VerificationKeys;
}

/**
 * The one worker shape of SomaGent: every workflow type and every activity on one task queue,
 * each activity behind the constitution gate, payloads through the codec. The caller owns the
 * connections and closes them after `worker.run()` returns.
 */
export async function createSomagentWorker(deps: SomagentWorkerDeps): Promise<Worker> {
  const { config, logger, connection, pool, redis, holder } = deps;
  const execution = createExecution({
    config,
    pool,
    redis,
    logger,
    ...(deps.tools ? { tools: deps.tools } : {}),
  });
  const identity = createIdentityActivities({ config, pool }, deps.identityFallbackKeys);
  const activities = {
    ...execution.activities,
    ...identity.activities,
    ...createCapsuleLoaderActivities({
      registry: createCapsuleRegistry({ pool }),
      identity: { mode: identity.mode, audit: identity.audit },
    }),
  };
  const gate = createConstitutionGate({
    pool,
    holder,
    logger,
    ...gateToolOptions(execution.toolRegistry),
    // A review-band tool call the tool would refuse anyway fails with its refusal: no human asked.
    prechecks: { executeTool: execution.toolPrecheck },
    ...(deps.metricsRegistry ? { metrics: createGateMetrics(deps.metricsRegistry) } : {}),
  });
  return Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: deps.taskQueue ?? config.TEMPORAL_TASK_QUEUE,
    ...(deps.workflowBundle
      ? { workflowBundle: deps.workflowBundle }
      : { workflowsPath: WORKFLOWS_PATH, bundlerOptions: { preloadModules: [...WORKFLOW_PRELOAD_MODULES] } }),
    activities,
    interceptors: {
      activity: [gate],
      ...(deps.workflowBundle ? {} : { workflowModules: [...WORKFLOW_INTERCEPTOR_MODULES] }),
    },
    dataConverter: createDataConverter({ pool, thresholdBytes: config.PAYLOAD_CODEC_THRESHOLD_BYTES }),
    shutdownGraceTime: WORKER_SHUTDOWN_GRACE_TIME,
    ...(deps.maxCachedWorkflows === undefined ? {} : { maxCachedWorkflows: deps.maxCachedWorkflows }),
  });
}
