import { randomUUID } from 'node:crypto';
import { appendEvent, closeRun, type EngineContext } from './context';
import { eventAttributes } from './history';
import type { Msg } from './proto';
import type { RetryPolicyMsg } from './retry-policy';
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

/** Who started the next run of a chain (`ContinueAsNewInitiator`). */
export type ChainInitiator =
  | 'CONTINUE_AS_NEW_INITIATOR_WORKFLOW'
  | 'CONTINUE_AS_NEW_INITIATOR_RETRY'
  | 'CONTINUE_AS_NEW_INITIATOR_CRON_SCHEDULE';

/** Everything the next run of a chain is started with (the server's `SetupNewWorkflowForRetryOrCron`). */
export interface NextRun {
  runId: string;
  initiator: ChainInitiator;
  workflowType: string;
  taskQueue: string;
  input?: unknown;
  header?: unknown;
  runTimeoutMs: number;
  taskTimeoutMs: number;
  /** Delay before its first workflow task (`firstWorkflowTaskBackoff`). */
  backoffMs: number;
  retryPolicy?: RetryPolicyMsg | undefined;
  cronSchedule?: string | undefined;
  memo?: { fields?: Msg } | undefined;
  searchAttributes?: { indexedFields?: Msg } | undefined;
  lastCompletionResult?: unknown;
  continuedFailure?: unknown;
  attempt: number;
}

/** Fields of the first run's started event every later run of the chain repeats. */
const CHAIN_STARTED_FIELDS = [
  'parentWorkflowNamespace',
  'parentWorkflowNamespaceId',
  'parentWorkflowExecution',
  'parentInitiatedEventId',
  'rootWorkflowExecution',
  'workflowExecutionTimeout',
];

/** The `WorkflowExecutionStarted` attributes of a run. */
export function startedAttributesOf(run: Run): Msg {
  const first = run.events[0];
  return first ? eventAttributes(first) : {};
}

/** Whether a closed run was followed by another of its chain (continue-as-new, retry, cron). */
export function isFollowedByNextRun(run: Run): boolean {
  const closeEvent = run.events[run.state.closeEventId - 1];
  return Boolean(closeEvent && eventAttributes(closeEvent).newExecutionRunId);
}

/**
 * Starts the run that follows `old` (already closed, its close event naming `next.runId`) in the
 * same transaction: same workflow id, the chain's first run id, parent link and execution
 * deadline; `continuedExecutionRunId` = the old run. One path for continue-as-new, workflow
 * retries and cron runs, as in the real server.
 */
export function startNextRun(ctx: EngineContext, old: Run, next: NextRun): Run {
  const oldStarted = startedAttributesOf(old);
  const startedExtras: Msg = {
    continuedExecutionRunId: old.state.runId,
    initiator: next.initiator,
    attempt: next.attempt,
    ...(next.lastCompletionResult ? { lastCompletionResult: next.lastCompletionResult } : {}),
    ...(next.continuedFailure ? { continuedFailure: next.continuedFailure } : {}),
  };
  for (const field of CHAIN_STARTED_FIELDS) {
    if (oldStarted[field] !== undefined && oldStarted[field] !== null)
      startedExtras[field] = oldStarted[field];
  }
  const request: StartRequest = {
    namespace: old.state.namespace,
    workflowId: old.state.workflowId,
    workflowType: { name: next.workflowType },
    taskQueue: { name: next.taskQueue },
    input: next.input,
    header: next.header,
    workflowRunTimeout: msToDuration(next.runTimeoutMs),
    workflowTaskTimeout: msToDuration(next.taskTimeoutMs),
    workflowStartDelay: msToDuration(next.backoffMs),
    retryPolicy: next.retryPolicy,
    ...(next.cronSchedule ? { cronSchedule: next.cronSchedule } : {}),
    ...(next.memo ? { memo: next.memo } : {}),
    ...(next.searchAttributes ? { searchAttributes: next.searchAttributes } : {}),
  };
  return createRun(ctx, old.state.namespace, request, randomUUID(), undefined, {
    runId: next.runId,
    firstExecutionRunId: old.state.firstExecutionRunId,
    ...(old.state.parent ? { parent: old.state.parent } : {}),
    executionDeadlineMs: old.state.executionDeadlineMs,
    startedAttributes: startedExtras,
  });
}

/**
 * COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION (DEVSERVER.md §5.8): closes the run with
 * `WorkflowExecutionContinuedAsNew` (carrying `newExecutionRunId`, which the client follows) and
 * starts the next run of the chain in the same transaction. Empty fields fall back to the old
 * run's; the cron schedule and retry policy stay with the chain.
 */
export function continueAsNew(
  ctx: EngineContext,
  run: Run,
  attrs: ContinueAsNewAttributes,
  completedEventId: number,
): void {
  const old = run.state;
  const oldStarted = startedAttributesOf(run);
  const newRunId = randomUUID();
  const workflowType = { name: attrs.workflowType?.name || old.workflowType };
  const taskQueue = { name: attrs.taskQueue?.name || old.taskQueue, kind: 'TASK_QUEUE_KIND_NORMAL' };
  const runTimeoutMs =
    protoTimeToMs(attrs.workflowRunTimeout) ||
    protoTimeToMs(oldStarted.workflowRunTimeout as ProtoTime | undefined);
  const taskTimeoutMs = protoTimeToMs(attrs.workflowTaskTimeout) || old.workflowTaskTimeoutMs;
  const memo = attrs.memo ?? (old.memo ? { fields: old.memo } : undefined);
  const searchAttributes =
    attrs.searchAttributes ?? (old.searchAttributes ? { indexedFields: old.searchAttributes } : undefined);
  const initiator = (attrs.initiator as ChainInitiator | undefined) ?? 'CONTINUE_AS_NEW_INITIATOR_WORKFLOW';
  const closeEventId = appendEvent(ctx, run, 'EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW', {
    ...attrs,
    newExecutionRunId: newRunId,
    workflowType,
    taskQueue,
    workflowRunTimeout: msToDuration(runTimeoutMs),
    workflowTaskTimeout: msToDuration(taskTimeoutMs),
    initiator,
    workflowTaskCompletedEventId: completedEventId,
  });
  closeRun(ctx, run, 'WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW', closeEventId);
  startNextRun(ctx, run, {
    runId: newRunId,
    initiator,
    workflowType: workflowType.name,
    taskQueue: taskQueue.name,
    input: attrs.input,
    header: attrs.header,
    runTimeoutMs,
    taskTimeoutMs,
    backoffMs: protoTimeToMs(attrs.backoffStartInterval),
    retryPolicy: (attrs.retryPolicy ?? oldStarted.retryPolicy) as RetryPolicyMsg | undefined,
    cronSchedule:
      (attrs.cronSchedule as string | undefined) || (oldStarted.cronSchedule as string | undefined),
    memo,
    searchAttributes,
    lastCompletionResult: attrs.lastCompletionResult,
    continuedFailure: attrs.failure,
    attempt: 1,
  });
}
