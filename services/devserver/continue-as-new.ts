import { randomUUID } from 'node:crypto';
import { appendEvent, closeRun, type EngineContext } from './context';
import type { Msg } from './proto';
import type { Run } from './state';
import { msToDuration, protoTimeToMs, type ProtoTime } from './time';
import { createRun, type StartRequest } from './workflows';

/** `ContinueAsNewWorkflowExecutionCommandAttributes`. */
export interface ContinueAsNewAttributes extends Msg {
  workflowType?: { name?: string };
  taskQueue?: { name?: string };
  workflowRunTimeout?: ProtoTime;
  workflowTaskTimeout?: ProtoTime;
  backoffStartInterval?: ProtoTime;
  memo?: { fields?: Msg };
  searchAttributes?: { indexedFields?: Msg };
}

/**
 * COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION (DEVSERVER.md §5.8): closes the run with
 * `WorkflowExecutionContinuedAsNew` (carrying `newExecutionRunId`, which the client follows) and
 * starts the next run of the chain in the same transaction. Empty fields fall back to the old
 * run's; the chain keeps its first run id, parent link and execution deadline.
 */
export function continueAsNew(
  ctx: EngineContext,
  run: Run,
  attrs: ContinueAsNewAttributes,
  completedEventId: number,
): void {
  const old = run.state;
  const newRunId = randomUUID();
  const workflowType = { name: attrs.workflowType?.name || old.workflowType };
  const taskQueue = { name: attrs.taskQueue?.name || old.taskQueue, kind: 'TASK_QUEUE_KIND_NORMAL' };
  const runTimeoutMs =
    protoTimeToMs(attrs.workflowRunTimeout) ||
    (old.runDeadlineMs > 0 ? old.runDeadlineMs - old.startTimeMs : 0);
  const taskTimeoutMs = protoTimeToMs(attrs.workflowTaskTimeout) || old.workflowTaskTimeoutMs;
  const memo = attrs.memo ?? (old.memo ? { fields: old.memo } : undefined);
  const searchAttributes =
    attrs.searchAttributes ?? (old.searchAttributes ? { indexedFields: old.searchAttributes } : undefined);
  const closeEventId = appendEvent(ctx, run, 'EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW', {
    ...attrs,
    newExecutionRunId: newRunId,
    workflowType,
    taskQueue,
    workflowRunTimeout: msToDuration(runTimeoutMs),
    workflowTaskTimeout: msToDuration(taskTimeoutMs),
    initiator: attrs.initiator ?? 'CONTINUE_AS_NEW_INITIATOR_WORKFLOW',
    workflowTaskCompletedEventId: completedEventId,
  });
  closeRun(ctx, run, 'WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW', closeEventId);

  const startedExtras: Msg = {
    continuedExecutionRunId: old.runId,
    initiator: attrs.initiator ?? 'CONTINUE_AS_NEW_INITIATOR_WORKFLOW',
    ...(attrs.lastCompletionResult ? { lastCompletionResult: attrs.lastCompletionResult } : {}),
    ...(attrs.failure ? { continuedFailure: attrs.failure } : {}),
  };
  const oldStarted = run.events[0];
  const startedAttrs = (oldStarted?.workflowExecutionStartedEventAttributes ?? {}) as Msg;
  for (const field of [
    'parentWorkflowNamespace',
    'parentWorkflowNamespaceId',
    'parentWorkflowExecution',
    'parentInitiatedEventId',
    'rootWorkflowExecution',
    'workflowExecutionTimeout',
  ]) {
    if (startedAttrs[field] !== undefined && startedAttrs[field] !== null)
      startedExtras[field] = startedAttrs[field];
  }
  const request: StartRequest = {
    namespace: old.namespace,
    workflowId: old.workflowId,
    workflowType,
    taskQueue,
    input: attrs.input,
    header: attrs.header,
    workflowRunTimeout: msToDuration(runTimeoutMs),
    workflowTaskTimeout: msToDuration(taskTimeoutMs),
    workflowStartDelay: attrs.backoffStartInterval,
    retryPolicy: (attrs.retryPolicy ?? startedAttrs.retryPolicy) as StartRequest['retryPolicy'],
    ...(memo ? { memo } : {}),
    ...(searchAttributes ? { searchAttributes } : {}),
  };
  createRun(ctx, old.namespace, request, randomUUID(), undefined, {
    runId: newRunId,
    firstExecutionRunId: old.firstExecutionRunId,
    ...(old.parent ? { parent: old.parent } : {}),
    executionDeadlineMs: old.executionDeadlineMs,
    startedAttributes: startedExtras,
  });
}
