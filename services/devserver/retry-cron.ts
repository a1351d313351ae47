import { randomUUID } from 'node:crypto';
import { appendEvent, closeRun, type EngineContext } from './context';
import { startedAttributesOf, startNextRun, type ChainInitiator } from './continue-as-new';
import { nextCronDelayMs } from './cron-schedule';
import type { Msg } from './proto';
import { decideRetry, normalizeRetryPolicy, type RetryPolicyMsg } from './retry-policy';
import type { ExecutionStatus, Run } from './state';
import { protoTimeToMs, type ProtoTime } from './time';

/** How a run ends when it may be followed by a retry or the next cron run. */
export type RunEnding =
  | { kind: 'completed'; result: unknown; completedEventId: number }
  | { kind: 'failed'; failure: Msg; completedEventId: number }
  | { kind: 'timedOut' };

/** The failure a run/execution timeout stands for in retry decisions and `continuedFailure`. */
const RUN_TIMEOUT_FAILURE: Msg = {
  message: 'workflow timeout',
  source: 'Server',
  timeoutFailureInfo: { timeoutType: 'TIMEOUT_TYPE_START_TO_CLOSE' },
};

const CLOSE: Record<RunEnding['kind'], { eventType: string; status: ExecutionStatus }> = {
  completed: {
    eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED',
    status: 'WORKFLOW_EXECUTION_STATUS_COMPLETED',
  },
  failed: { eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_FAILED', status: 'WORKFLOW_EXECUTION_STATUS_FAILED' },
  timedOut: {
    eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT',
    status: 'WORKFLOW_EXECUTION_STATUS_TIMED_OUT',
  },
};

interface Successor {
  initiator: ChainInitiator;
  backoffMs: number;
  attempt: number;
  lastCompletionResult?: unknown;
  continuedFailure?: unknown;
}

/**
 * What follows a run (DEVSERVER.md §5.11; the server's `GetRetryBackoffDuration` /
 * `GetCronBackoffDuration`): a failure or timeout is retried while the workflow's retry policy
 * allows it (attempt + 1, within the execution deadline); otherwise — and after a completion — a
 * cron schedule starts the next run at its next time. A run that hit the execution deadline ends
 * the chain.
 */
function decideSuccessor(
  run: Run,
  ending: RunEnding,
  nowMs: number,
): { retryState?: string; next?: Successor } {
  const started = startedAttributesOf(run);
  const cron = started.cronSchedule as string | undefined;
  const cronRun = (extra: Partial<Successor>): Successor | undefined => {
    const backoffMs = cron ? nextCronDelayMs(cron, run.state.executionTimeMs, nowMs) : undefined;
    if (backoffMs === undefined) return undefined;
    return { initiator: 'CONTINUE_AS_NEW_INITIATOR_CRON_SCHEDULE', backoffMs, attempt: 1, ...extra };
  };
  if (ending.kind === 'completed') {
    const next = cronRun({ lastCompletionResult: ending.result });
    return next ? { next } : {};
  }
  const deadline = run.state.executionDeadlineMs;
  // The timeout timer fires at the earlier of the run and execution deadlines, and a timer may
  // fire a millisecond before its time: which deadline was the earlier one decides, not the clock.
  const runDeadline = run.state.runDeadlineMs;
  const executionExpired =
    deadline > 0 && (nowMs >= deadline || runDeadline === 0 || deadline <= runDeadline);
  if (ending.kind === 'timedOut' && executionExpired) return { retryState: 'RETRY_STATE_TIMEOUT' };
  const failure = ending.kind === 'failed' ? ending.failure : RUN_TIMEOUT_FAILURE;
  const policy = started.retryPolicy as RetryPolicyMsg | null | undefined;
  const attempt = (started.attempt as number | undefined) ?? 1;
  // A retried run keeps the chain's last completion result (a retried cron run still sees it).
  const carried = started.lastCompletionResult ? { lastCompletionResult: started.lastCompletionResult } : {};
  let retryState = 'RETRY_STATE_RETRY_POLICY_NOT_SET';
  if (policy) {
    const decision = decideRetry(normalizeRetryPolicy(policy), attempt, failure, nowMs, deadline);
    if (decision.state === 'RETRY_STATE_IN_PROGRESS') {
      return {
        retryState: decision.state,
        next: {
          initiator: 'CONTINUE_AS_NEW_INITIATOR_RETRY',
          backoffMs: decision.delayMs,
          attempt: attempt + 1,
          continuedFailure: failure,
          ...carried,
        },
      };
    }
    retryState = decision.state;
  }
  const next = cronRun({ continuedFailure: failure, ...carried });
  return next ? { retryState, next } : { retryState };
}

/**
 * Closes a run that completed, failed or timed out, and starts its successor in the same
 * transaction when the retry policy or cron schedule asks for one: the close event carries
 * `newExecutionRunId` (the client's `result()` follows it), the new run repeats the first run's
 * input, header, memo, search attributes, retry policy and cron schedule, with initiator RETRY or
 * CRON_SCHEDULE and `firstWorkflowTaskBackoff` = the retry backoff or the time to the next cron time.
 */
export function closeRunWithChain(ctx: EngineContext, run: Run, ending: RunEnding): void {
  const { retryState, next } = decideSuccessor(run, ending, Date.now());
  const newRunId = next ? randomUUID() : undefined;
  const attributes: Msg = {
    ...(ending.kind === 'completed' ? { result: ending.result } : {}),
    ...(ending.kind === 'failed' ? { failure: ending.failure } : {}),
    ...(retryState ? { retryState } : {}),
    ...(ending.kind === 'timedOut' ? {} : { workflowTaskCompletedEventId: ending.completedEventId }),
    ...(newRunId ? { newExecutionRunId: newRunId } : {}),
  };
  const { eventType, status } = CLOSE[ending.kind];
  closeRun(ctx, run, status, appendEvent(ctx, run, eventType, attributes));
  if (!next || !newRunId) return;
  const started = startedAttributesOf(run);
  startNextRun(ctx, run, {
    runId: newRunId,
    initiator: next.initiator,
    workflowType: run.state.workflowType,
    taskQueue: run.state.taskQueue,
    input: started.input,
    header: started.header,
    runTimeoutMs: protoTimeToMs(started.workflowRunTimeout as ProtoTime | undefined),
    taskTimeoutMs: run.state.workflowTaskTimeoutMs,
    backoffMs: next.backoffMs,
    retryPolicy: started.retryPolicy as RetryPolicyMsg | undefined,
    cronSchedule: started.cronSchedule as string | undefined,
    memo: started.memo as { fields?: Msg } | undefined,
    searchAttributes: started.searchAttributes as { indexedFields?: Msg } | undefined,
    lastCompletionResult: next.lastCompletionResult,
    continuedFailure: next.continuedFailure,
    attempt: next.attempt,
  });
}
