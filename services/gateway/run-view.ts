import { status as grpcStatus } from '@grpc/grpc-js';
import { type Client, type WorkflowExecutionDescription, WorkflowFailedError } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { describeFailure } from '../../workflows/failures';
import { SEARCH_ATTRIBUTES } from '../../workflows/shared/search-attributes';
import type { JsonValue } from '../../workflows/shared/types';
import { GatewayError } from './gateway-error';
import { toProtoStruct, toTimestamp } from './struct';

/** Temporal execution status name → the API's `CapsuleRunStatus`. */
const RUN_STATUS: Record<string, string> = {
  RUNNING: 'CAPSULE_RUN_STATUS_RUNNING',
  COMPLETED: 'CAPSULE_RUN_STATUS_COMPLETED',
  FAILED: 'CAPSULE_RUN_STATUS_FAILED',
  CANCELLED: 'CAPSULE_RUN_STATUS_CANCELED',
  TERMINATED: 'CAPSULE_RUN_STATUS_TERMINATED',
  TIMED_OUT: 'CAPSULE_RUN_STATUS_TIMED_OUT',
};
/** The API's `CapsuleRunStatus` → Temporal's `ExecutionStatus` for visibility queries. */
export const EXECUTION_STATUS: Record<string, string> = {
  CAPSULE_RUN_STATUS_RUNNING: 'Running',
  CAPSULE_RUN_STATUS_COMPLETED: 'Completed',
  CAPSULE_RUN_STATUS_FAILED: 'Failed',
  CAPSULE_RUN_STATUS_CANCELED: 'Canceled',
  CAPSULE_RUN_STATUS_TERMINATED: 'Terminated',
  CAPSULE_RUN_STATUS_TIMED_OUT: 'TimedOut',
};

export function runStatusOf(temporalStatus: string | undefined): string {
  return RUN_STATUS[temporalStatus ?? ''] ?? 'CAPSULE_RUN_STATUS_UNSPECIFIED';
}

/**
 * Describes a run of the caller's tenant. A run of another tenant answers exactly as a run that
 * does not exist (NOT_FOUND): a caller cannot even learn that it is there.
 */
export async function describeTenantRun(
  client: Client,
  workflowId: string,
  tenant: string,
): Promise<WorkflowExecutionDescription> {
  if (!workflowId) throw new GatewayError(grpcStatus.INVALID_ARGUMENT, 'workflow_id is required');
  let description: WorkflowExecutionDescription;
  try {
    description = await client.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      throw new GatewayError(grpcStatus.NOT_FOUND, `no run ${workflowId} in tenant "${tenant}"`);
    }
    throw err;
  }
  if (
    description.type !== 'capsuleWorkflow' ||
    description.typedSearchAttributes.get(SEARCH_ATTRIBUTES.tenant) !== tenant
  ) {
    throw new GatewayError(grpcStatus.NOT_FOUND, `no run ${workflowId} in tenant "${tenant}"`);
  }
  return description;
}

/** The API's `CapsuleRun` message of a described run (or a listed execution). */
export function capsuleRunMessage(
  description: Pick<
    WorkflowExecutionDescription,
    'workflowId' | 'runId' | 'startTime' | 'closeTime' | 'typedSearchAttributes'
  > & {
    /** Temporal's execution status name, e.g. `RUNNING`. */
    statusName: string | undefined;
  },
) {
  const attrs = description.typedSearchAttributes;
  return {
    workflowId: description.workflowId,
    runId: description.runId,
    capsuleId: attrs.get(SEARCH_ATTRIBUTES.capsuleId) ?? '',
    capsuleVersion: attrs.get(SEARCH_ATTRIBUTES.capsuleVersion) ?? '',
    tenant: attrs.get(SEARCH_ATTRIBUTES.tenant) ?? '',
    trigger: attrs.get(SEARCH_ATTRIBUTES.trigger) ?? '',
    status: runStatusOf(description.statusName),
    startTime: toTimestamp(description.startTime),
    closeTime: toTimestamp(description.closeTime ?? null),
  };
}

/**
 * What a closed run ended with: the run result (a completed run's value, or the result a
 * failed or cancelled run carries in its failure) and, unless it completed, why.
 */
export async function closedRunOutcome(
  client: Client,
  workflowId: string,
  runId: string,
): Promise<{
  result: ReturnType<typeof toProtoStruct> | null;
  failure: { type: string; message: string } | null;
}> {
  try {
    const value = (await client.workflow.getHandle(workflowId, runId).result()) as {
      [key: string]: JsonValue;
    };
    return { result: toProtoStruct(value), failure: null };
  } catch (err) {
    const failure = describeFailure(err instanceof WorkflowFailedError ? (err.cause ?? err) : err);
    const carried = failure.details as { [key: string]: JsonValue } | undefined;
    return {
      result: carried && typeof carried === 'object' && 'status' in carried ? toProtoStruct(carried) : null,
      failure: { type: failure.type, message: failure.message },
    };
  }
}
