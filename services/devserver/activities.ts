import { randomUUID } from 'node:crypto';
import { normalizeActivityTimeouts, type ActivityTimeoutFields } from './activity-timeouts';
import {
  addExternalEvents,
  appendEvent,
  commitInBackground,
  queueKey,
  touch,
  type EngineContext,
  type ExternalEvent,
} from './context';
import { NotFoundError } from './errors';
import { eventAttributes } from './history';
import type { Msg } from './proto';
import {
  decideRetry,
  normalizeRetryPolicy,
  retryPolicyToMsg,
  validateRetryPolicy,
  type RetryPolicyMsg,
  type RetryState,
} from './retry-policy';
import { RUNNING, type ActivityState, type Run } from './state';
import { encodeTaskToken, type TaskToken } from './task-token';
import { msToDuration, msToTimestamp } from './time';

/** The ScheduleActivityTask command attributes the engine reads. */
export interface ScheduleActivityAttributes extends ActivityTimeoutFields, Msg {
  activityId?: string;
  activityType?: { name?: string };
  taskQueue?: { name?: string };
  retryPolicy?: RetryPolicyMsg | null;
  requestEagerExecution?: boolean;
}

/** Returns why a ScheduleActivityTask command is invalid, or undefined. */
export function validateScheduleActivity(run: Run, attrs: ScheduleActivityAttributes): string | undefined {
  if (!attrs.activityId) return 'ScheduleActivityTaskCommandAttributes.activityId is not set';
  if (!attrs.activityType?.name) return 'ScheduleActivityTaskCommandAttributes.activityType.name is not set';
  if (Object.values(run.state.activities).some((a) => a.activityId === attrs.activityId)) {
    return `ScheduleActivityTaskCommandAttributes.activityId ${attrs.activityId} is already in use by an open activity`;
  }
  const timeouts = normalizeActivityTimeouts(attrs, runTimeoutMs(run));
  if (typeof timeouts === 'string') return timeouts;
  return validateRetryPolicy(attrs.retryPolicy);
}

function runTimeoutMs(run: Run): number {
  const deadline = run.state.runDeadlineMs;
  return deadline > 0 ? Math.max(1, deadline - run.state.executionTimeMs) : 0;
}

/** Applies a (validated) ScheduleActivityTask command: `ActivityTaskScheduled` + dispatch. */
export function scheduleActivity(
  ctx: EngineContext,
  run: Run,
  attrs: ScheduleActivityAttributes,
  completedEventId: number,
): void {
  const timeouts = normalizeActivityTimeouts(attrs, runTimeoutMs(run));
  if (typeof timeouts === 'string') throw new Error(timeouts); // validated before
  const policy = normalizeRetryPolicy(attrs.retryPolicy);
  const taskQueue = attrs.taskQueue?.name || run.state.taskQueue;
  const now = Date.now();
  const scheduledEventId = appendEvent(ctx, run, 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED', {
    activityId: attrs.activityId,
    activityType: attrs.activityType,
    taskQueue: { name: taskQueue, kind: 'TASK_QUEUE_KIND_NORMAL' },
    header: attrs.header,
    input: attrs.input,
    scheduleToCloseTimeout: msToDuration(timeouts.scheduleToCloseMs),
    scheduleToStartTimeout: msToDuration(timeouts.scheduleToStartMs),
    startToCloseTimeout: msToDuration(timeouts.startToCloseMs),
    heartbeatTimeout: msToDuration(timeouts.heartbeatMs),
    workflowTaskCompletedEventId: completedEventId,
    retryPolicy: retryPolicyToMsg(policy),
    ...(attrs.priority ? { priority: attrs.priority } : {}),
  });
  const activity: ActivityState = {
    scheduledEventId,
    activityId: attrs.activityId ?? '',
    activityType: attrs.activityType?.name ?? '',
    taskQueue,
    state: 'scheduled',
    attempt: 1,
    scheduledTimeMs: now,
    attemptScheduledTimeMs: now,
    startedTimeMs: 0,
    startedIdentity: '',
    startedRequestId: '',
    ...timeouts,
    retryPolicy: policy,
    heartbeatDetails: null,
    lastHeartbeatTimeMs: 0,
    lastFailure: null,
    cancelRequestedEventId: 0,
  };
  run.state.activities[scheduledEventId] = activity;
  if (attrs.requestEagerExecution && taskQueue === run.state.taskQueue && ctx.eagerActivities) {
    ctx.eagerActivities.push({ run, activity });
    return;
  }
  armActivity(ctx, run, activity);
}

/**
 * Starts the activities collected for eager dispatch (see `EngineContext.eagerActivities`) and
 * returns their tasks; one the same completion already ended (run closed, activity cancelled)
 * is skipped. With `start` false (the completion failed) they are queued as usual instead.
 */
export function dispatchEagerActivities(
  ctx: EngineContext,
  eager: { run: Run; activity: ActivityState }[],
  identity: string,
  start: boolean,
): Msg[] {
  const tasks: Msg[] = [];
  for (const { run, activity } of eager) {
    const current =
      run.state.status === RUNNING ? run.state.activities[activity.scheduledEventId] : undefined;
    if (current !== activity || activity.state !== 'scheduled') continue;
    if (start) tasks.push(startActivity(ctx, run, activity, identity, randomUUID()));
    else armActivity(ctx, run, activity);
  }
  return tasks;
}

/**
 * (Re-)arms the deadlines and queue entry matching the activity's state; used after scheduling,
 * after each transition, and after a restart.
 */
export function armActivity(ctx: EngineContext, run: Run, activity: ActivityState): void {
  const id = activity.scheduledEventId;
  const sched = ctx.scheduler;
  sched.clear(run.key, `act-${id}-s2s`);
  sched.clear(run.key, `act-${id}-s2c`);
  sched.clear(run.key, `act-${id}-stc`);
  sched.clear(run.key, `act-${id}-hb`);
  sched.clear(run.key, `act-${id}-retry`);
  if (activity.scheduleToCloseMs > 0) {
    sched.set(run.key, `act-${id}-s2c`, activity.scheduledTimeMs + activity.scheduleToCloseMs, () =>
      timeoutActivity(ctx, run, id, activity.attempt, 'TIMEOUT_TYPE_SCHEDULE_TO_CLOSE'),
    );
  }
  if (activity.state === 'scheduled') {
    ctx.activityQueues.offer(queueKey(run.state.namespace, activity.taskQueue), {
      run: run.key,
      scheduledEventId: id,
      attempt: activity.attempt,
    });
    if (
      activity.scheduleToStartMs > 0 &&
      (activity.scheduleToCloseMs === 0 || activity.scheduleToStartMs < activity.scheduleToCloseMs)
    ) {
      sched.set(run.key, `act-${id}-s2s`, activity.attemptScheduledTimeMs + activity.scheduleToStartMs, () =>
        timeoutActivity(ctx, run, id, activity.attempt, 'TIMEOUT_TYPE_SCHEDULE_TO_START'),
      );
    }
  } else if (activity.state === 'started') {
    if (activity.startToCloseMs > 0) {
      sched.set(run.key, `act-${id}-stc`, activity.startedTimeMs + activity.startToCloseMs, () =>
        timeoutActivity(ctx, run, id, activity.attempt, 'TIMEOUT_TYPE_START_TO_CLOSE'),
      );
    }
    armHeartbeat(ctx, run, activity);
  } else {
    sched.set(run.key, `act-${id}-retry`, activity.attemptScheduledTimeMs, () => {
      const current = run.state.activities[id];
      if (current?.state !== 'backoff') return;
      current.state = 'scheduled';
      touch(ctx, run);
      armActivity(ctx, run, current);
      commitInBackground(ctx);
    });
  }
}

function armHeartbeat(ctx: EngineContext, run: Run, activity: ActivityState): void {
  if (activity.heartbeatMs <= 0) return;
  const last = Math.max(activity.startedTimeMs, activity.lastHeartbeatTimeMs);
  const id = activity.scheduledEventId;
  ctx.scheduler.set(run.key, `act-${id}-hb`, last + activity.heartbeatMs, () =>
    timeoutActivity(ctx, run, id, activity.attempt, 'TIMEOUT_TYPE_HEARTBEAT'),
  );
}

/** Activity poll: marks the attempt started (no event yet: the start is transient) and builds the task. */
export function startActivity(
  ctx: EngineContext,
  run: Run,
  activity: ActivityState,
  identity: string,
  requestId: string,
): Msg {
  const now = Date.now();
  activity.state = 'started';
  activity.startedTimeMs = now;
  activity.startedIdentity = identity;
  activity.startedRequestId = requestId;
  touch(ctx, run);
  ctx.scheduler.clear(run.key, `act-${activity.scheduledEventId}-s2s`);
  armActivity(ctx, run, activity);
  const scheduledEvent = run.events[activity.scheduledEventId - 1];
  if (!scheduledEvent)
    throw new Error(`activity ${activity.activityId}: scheduled event ${activity.scheduledEventId} missing`);
  const scheduled = eventAttributes(scheduledEvent);
  const token: TaskToken = {
    k: 'a',
    ns: run.state.namespace,
    r: run.state.runId,
    s: activity.scheduledEventId,
    a: activity.attempt,
  };
  return {
    taskToken: encodeTaskToken(token),
    workflowNamespace: run.state.namespace,
    workflowType: { name: run.state.workflowType },
    workflowExecution: { workflowId: run.state.workflowId, runId: run.state.runId },
    activityType: scheduled.activityType,
    activityId: activity.activityId,
    header: scheduled.header,
    input: scheduled.input,
    heartbeatDetails: activity.heartbeatDetails,
    scheduledTime: msToTimestamp(activity.scheduledTimeMs),
    currentAttemptScheduledTime: msToTimestamp(activity.attemptScheduledTimeMs),
    startedTime: msToTimestamp(now),
    attempt: activity.attempt,
    scheduleToCloseTimeout: msToDuration(activity.scheduleToCloseMs),
    startToCloseTimeout: msToDuration(activity.startToCloseMs),
    heartbeatTimeout: msToDuration(activity.heartbeatMs),
    retryPolicy: retryPolicyToMsg(activity.retryPolicy),
    ...(scheduled.priority ? { priority: scheduled.priority } : {}),
  };
}

/** The run and started activity a token points at, or NOT_FOUND. */
export function resolveActivityToken(
  ctx: EngineContext,
  token: Extract<TaskToken, { k: 'a' }>,
): { run: Run; activity: ActivityState } {
  const run = ctx.runs.get(`${token.ns}\u0000${token.r}`);
  if (!run || run.state.status !== RUNNING) throw new NotFoundError('workflow execution already completed');
  const activity = run.state.activities[token.s];
  if (!activity || activity.attempt !== token.a || activity.state !== 'started') {
    throw new NotFoundError('activity task not found');
  }
  return { run, activity };
}

function startedEvent(activity: ActivityState): ExternalEvent {
  return {
    eventType: 'EVENT_TYPE_ACTIVITY_TASK_STARTED',
    attributes: {
      scheduledEventId: activity.scheduledEventId,
      identity: activity.startedIdentity,
      requestId: activity.startedRequestId,
      attempt: activity.attempt,
      ...(activity.lastFailure ? { lastFailure: activity.lastFailure } : {}),
    },
  };
}

function finishActivity(
  ctx: EngineContext,
  run: Run,
  activity: ActivityState,
  closing: ExternalEvent,
  withStart: boolean,
): void {
  delete run.state.activities[activity.scheduledEventId];
  for (const suffix of ['s2s', 's2c', 'stc', 'hb', 'retry']) {
    ctx.scheduler.clear(run.key, `act-${activity.scheduledEventId}-${suffix}`);
  }
  touch(ctx, run);
  addExternalEvents(
    ctx,
    run,
    withStart ? [startedEvent(activity), { ...closing, linkStartedToPrevious: true }] : [closing],
  );
}

/** RespondActivityTaskCompleted. */
export function completeActivity(
  ctx: EngineContext,
  run: Run,
  activity: ActivityState,
  result: unknown,
  identity: string,
): void {
  finishActivity(
    ctx,
    run,
    activity,
    {
      eventType: 'EVENT_TYPE_ACTIVITY_TASK_COMPLETED',
      attributes: { scheduledEventId: activity.scheduledEventId, result, identity },
    },
    true,
  );
}

/** RespondActivityTaskCanceled. */
export function cancelActivityAck(
  ctx: EngineContext,
  run: Run,
  activity: ActivityState,
  details: unknown,
  identity: string,
): void {
  finishActivity(
    ctx,
    run,
    activity,
    {
      eventType: 'EVENT_TYPE_ACTIVITY_TASK_CANCELED',
      attributes: {
        scheduledEventId: activity.scheduledEventId,
        latestCancelRequestedEventId: activity.cancelRequestedEventId,
        details,
        identity,
      },
    },
    true,
  );
}

/** RespondActivityTaskFailed: retried per policy, else `ActivityTaskFailed`. */
export function failActivity(
  ctx: EngineContext,
  run: Run,
  activity: ActivityState,
  failure: Msg,
  lastHeartbeatDetails: Msg | null,
  identity: string,
): void {
  if (lastHeartbeatDetails) activity.heartbeatDetails = lastHeartbeatDetails;
  const retryState = retryOrGiveUp(ctx, run, activity, failure);
  if (retryState === 'RETRY_STATE_IN_PROGRESS') return;
  finishActivity(
    ctx,
    run,
    activity,
    {
      eventType: 'EVENT_TYPE_ACTIVITY_TASK_FAILED',
      attributes: { scheduledEventId: activity.scheduledEventId, failure, retryState, identity },
    },
    true,
  );
}

/** Schedules the next attempt when the policy allows; returns the retry state. */
function retryOrGiveUp(ctx: EngineContext, run: Run, activity: ActivityState, failure: Msg): RetryState {
  const now = Date.now();
  const deadline = activity.scheduleToCloseMs > 0 ? activity.scheduledTimeMs + activity.scheduleToCloseMs : 0;
  const decision = decideRetry(activity.retryPolicy, activity.attempt, failure, now, deadline);
  if (decision.state !== 'RETRY_STATE_IN_PROGRESS') return decision.state;
  activity.attempt += 1;
  activity.state = 'backoff';
  activity.attemptScheduledTimeMs = now + decision.delayMs;
  activity.lastFailure = failure;
  activity.startedTimeMs = 0;
  activity.lastHeartbeatTimeMs = 0;
  touch(ctx, run);
  armActivity(ctx, run, activity);
  return 'RETRY_STATE_IN_PROGRESS';
}

const TIMEOUT_MESSAGES: Record<string, string> = {
  TIMEOUT_TYPE_START_TO_CLOSE: 'activity StartToClose timeout',
  TIMEOUT_TYPE_HEARTBEAT: 'activity Heartbeat timeout',
  TIMEOUT_TYPE_SCHEDULE_TO_START: 'activity ScheduleToStart timeout',
  TIMEOUT_TYPE_SCHEDULE_TO_CLOSE: 'activity ScheduleToClose timeout',
};

/** A timeout deadline of one attempt fired. */
export function timeoutActivity(
  ctx: EngineContext,
  run: Run,
  scheduledEventId: number,
  attempt: number,
  timeoutType: string,
): void {
  const activity = run.state.activities[scheduledEventId];
  if (!activity || run.state.status !== RUNNING) return;
  // An attempt deadline that coincides with (or passed) the whole activity's deadline is reported
  // as the schedule-to-close timeout: deterministic whichever timer fires first.
  if (
    timeoutType !== 'TIMEOUT_TYPE_SCHEDULE_TO_START' &&
    activity.scheduleToCloseMs > 0 &&
    Date.now() >= activity.scheduledTimeMs + activity.scheduleToCloseMs
  ) {
    timeoutType = 'TIMEOUT_TYPE_SCHEDULE_TO_CLOSE';
  }
  const wholeActivity = timeoutType === 'TIMEOUT_TYPE_SCHEDULE_TO_CLOSE';
  if (!wholeActivity && activity.attempt !== attempt) return;
  const failure: Msg = {
    message: TIMEOUT_MESSAGES[timeoutType] ?? 'activity timeout',
    source: 'Server',
    timeoutFailureInfo: {
      timeoutType,
      ...(activity.heartbeatDetails ? { lastHeartbeatDetails: activity.heartbeatDetails } : {}),
    },
    ...(wholeActivity && activity.lastFailure ? { cause: activity.lastFailure } : {}),
  };
  const wasStarted = activity.state === 'started';
  let retryState: RetryState = 'RETRY_STATE_TIMEOUT';
  if (timeoutType === 'TIMEOUT_TYPE_START_TO_CLOSE' || timeoutType === 'TIMEOUT_TYPE_HEARTBEAT') {
    retryState = retryOrGiveUp(ctx, run, activity, failure);
    if (retryState === 'RETRY_STATE_IN_PROGRESS') {
      commitInBackground(ctx);
      return;
    }
  }
  finishActivity(
    ctx,
    run,
    activity,
    {
      eventType: 'EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT',
      attributes: { scheduledEventId: activity.scheduledEventId, startedEventId: 0, failure, retryState },
    },
    wasStarted,
  );
  commitInBackground(ctx);
}

/** RecordActivityTaskHeartbeat: keeps the details, restarts the heartbeat deadline. */
export function heartbeatActivity(
  ctx: EngineContext,
  run: Run,
  activity: ActivityState,
  details: Msg | null,
): boolean {
  if (details) activity.heartbeatDetails = details;
  activity.lastHeartbeatTimeMs = Date.now();
  touch(ctx, run);
  armHeartbeat(ctx, run, activity);
  return activity.cancelRequestedEventId > 0;
}

/** Returns why a RequestCancelActivityTask command is invalid, or undefined. */
export function validateRequestCancelActivity(
  run: Run,
  attrs: { scheduledEventId?: number },
): string | undefined {
  const id = attrs.scheduledEventId ?? 0;
  if (id <= 0) return 'RequestCancelActivityTaskCommandAttributes.scheduledEventId is not set';
  if (!run.state.activities[id])
    return `RequestCancelActivityTaskCommandAttributes.scheduledEventId ${id} is not an open activity`;
  return undefined;
}

/**
 * Applies RequestCancelActivityTask: `ActivityTaskCancelRequested`; an activity that has not
 * started is canceled at once (returns true: the workflow needs a new task), a started one learns
 * it from its next heartbeat.
 */
export function requestCancelActivity(
  ctx: EngineContext,
  run: Run,
  scheduledEventId: number,
  completedEventId: number,
): boolean {
  const activity = run.state.activities[scheduledEventId];
  if (!activity) return false;
  const requestedId = appendEvent(ctx, run, 'EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED', {
    scheduledEventId,
    workflowTaskCompletedEventId: completedEventId,
  });
  activity.cancelRequestedEventId = requestedId;
  touch(ctx, run);
  if (activity.state === 'started') return false;
  delete run.state.activities[scheduledEventId];
  for (const suffix of ['s2s', 's2c', 'stc', 'hb', 'retry'])
    ctx.scheduler.clear(run.key, `act-${scheduledEventId}-${suffix}`);
  appendEvent(ctx, run, 'EVENT_TYPE_ACTIVITY_TASK_CANCELED', {
    scheduledEventId,
    latestCancelRequestedEventId: requestedId,
    startedEventId: 0,
    identity: '',
  });
  return true;
}
