import { Context } from '@temporalio/activity';

/**
 * Who is running the current activity: the identity that keys idempotent side effects and budget
 * reservations (stable across retries of one activity), and the cancellation signal.
 */
export interface Invocation {
  workflowId: string;
  runId: string;
  activityId: string;
  attempt: number;
  signal: AbortSignal;
}

/** Reads the invocation from Temporal's activity context (the default in every factory). */
export function currentInvocation(): Invocation {
  const { info, cancellationSignal } = Context.current();
  return {
    // Activities started outside a workflow (client-started, standalone) have no execution.
    workflowId: info.workflowExecution?.workflowId ?? `standalone:${info.activityId}`,
    runId: info.workflowExecution?.runId ?? info.base64TaskToken.slice(0, 32),
    activityId: info.activityId,
    attempt: info.attempt,
    signal: cancellationSignal,
  };
}

/**
 * Key of one side effect of one activity: the same across retries and workflow replays, distinct
 * across activities, continue-as-new runs (activity ids restart at 1) and calls within one activity.
 */
export function idempotencyKey(invocation: Invocation, callIndex = 0): string {
  return `${invocation.workflowId}/${invocation.runId}/${invocation.activityId}/${callIndex}`;
}
