import { WORKFLOW_ERROR_TYPES } from './shared/errors';
import type { RunStatus } from './status';
import type { ArtifactRef, CapsuleRunResult, JsonValue, StepRunResult } from './shared/types';

/**
 * Assembles `capsuleWorkflow`'s result from the run's status view and what only the workflow
 * holds (step outputs, failure types, artifacts, taint). Pure; sandbox-safe.
 */
export interface RunResultParts {
  status: CapsuleRunResult['status'];
  workflowId: string;
  runId: string;
  /** Capsule id and version; falls back to the status view. */
  capsule?: { id: string; version: string };
  outputs: Record<string, JsonValue>;
  /** Failure type per failed step (the status view keeps only the reason text). */
  errorTypes?: Record<string, string>;
  artifacts: ArtifactRef[];
  taint: string[];
  /** ISO-8601 from workflow time. */
  finishedAt: string;
}

export function buildRunResult(status: RunStatus, parts: RunResultParts): CapsuleRunResult {
  const steps: Record<string, StepRunResult> = {};
  for (const step of status.steps) {
    const result: StepRunResult = { state: step.state, usage: { ...step.usage } };
    if (step.state === 'succeeded' && step.id in parts.outputs) result.output = parts.outputs[step.id]!;
    if (step.state === 'failed' || step.state === 'skipped') {
      result.error = {
        type:
          parts.errorTypes?.[step.id] ??
          (step.state === 'skipped' ? WORKFLOW_ERROR_TYPES.StepSkipped : WORKFLOW_ERROR_TYPES.StepFailed),
        message: step.reason ?? '',
      };
    }
    if (step.childWorkflowId !== undefined) result.childWorkflowId = step.childWorkflowId;
    steps[step.id] = result;
  }
  const capsule = parts.capsule ?? status.capsule ?? { id: '', version: '' };
  return {
    status: parts.status,
    capsule: { id: capsule.id, version: capsule.version, planHash: status.planHash ?? '' },
    workflowId: parts.workflowId,
    runId: parts.runId,
    steps,
    artifacts: parts.artifacts.map((a) => ({ ...a })),
    usage: { ...status.usage },
    decisions: { ...status.decisions },
    taint: [...parts.taint],
    startedAt: status.startedAt ?? parts.finishedAt,
    finishedAt: parts.finishedAt,
  };
}
