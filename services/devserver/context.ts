import type { Logger } from '../logger';
import { attributesFieldFor, buildEvent } from './history';
import type { NamespaceRegistry } from './namespaces';
import type { Msg } from './proto';
import type { DeadlineScheduler } from './scheduler';
import type { ScheduleChange, ScheduleRecord } from './schedule-record';
import { RUNNING, type ActivityState, type ExecutionStatus, type PendingQuery, type Run } from './state';
import type { DevServerStore, NamespaceRecord, StoreTransaction } from './store';
import type { TaskQueues } from './task-queues';
import { msToDuration } from './time';

/** Tunables of the engine (tests shorten the long poll). */
export interface EngineOptions {
  /** How long a task poll or history wait is held before an empty answer. */
  longPollMs: number;
  /** Deliver tasks on workers' sticky queues with partial history. */
  stickyEnabled: boolean;
  /** How long QueryWorkflow waits for a worker's answer. */
  queryTimeoutMs: number;
}

/** An entry on a workflow task queue: a workflow task or a legacy query task. */
export type WorkflowQueueTask =
  | { kind: 'wft'; run: string; scheduledEventId: number; queue: string }
  | { kind: 'query'; run: string; queryId: string; queue: string };

/** An entry on an activity task queue: one attempt of one activity. */
export interface ActivityQueueTask {
  run: string;
  scheduledEventId: number;
  attempt: number;
}

/** Shared state of one engine; feature modules are functions over it. */
export interface EngineContext {
  logger: Logger;
  store: DevServerStore;
  options: EngineOptions;
  namespaces: NamespaceRegistry;
  runs: Map<string, Run>;
  /** Current (latest) run per namespace + workflow id. */
  current: Map<string, Run>;
  workflowQueues: TaskQueues<WorkflowQueueTask>;
  activityQueues: TaskQueues<ActivityQueueTask>;
  scheduler: DeadlineScheduler;
  /** Run keys bound to each sticky queue (queue key → run keys). */
  stickyRuns: Map<string, Set<string>>;
  dirtyRuns: Set<Run>;
  dirtyNamespaces: NamespaceRecord[];
  /** Runs whose history waiters are woken once the current transaction is durable. */
  notifyRuns: Set<Run>;
  lastCommit: Promise<void>;
  /** Schedules by namespace + schedule id (driven by schedule-runner.ts). */
  schedules: Map<string, ScheduleRecord>;
  /** Schedules changed in the current transaction, by key. */
  dirtySchedules: Map<string, ScheduleChange>;
  /**
   * Set while a RespondWorkflowTaskCompleted runs: activities its commands schedule with
   * `requestEagerExecution` on the run's own task queue are collected here instead of being
   * queued, and handed to the completing worker in the answer (eager activity dispatch).
   */
  eagerActivities?: { run: Run; activity: ActivityState }[];
  /**
   * Called by {@link closeRun} once a run is closed: notifies its parent and applies the parent
   * close policy to its children, then tells the schedule that started it (a hook, so this
   * module needs no import of the child or schedule logic).
   */
  onRunClosed?: (run: Run) => void;
  /**
   * Called when a run's run or execution timeout fires (its started task already aborted): closes
   * it as timed out and starts a retry or cron successor if one is due (a hook for the same reason).
   */
  onRunTimedOut?: (run: Run) => void;
}

/** Key of a task queue inside a namespace. */
export function queueKey(namespace: string, name: string): string {
  return `${namespace}\u0000${name}`;
}

/**
 * Ends the current transaction: hands every changed run (new events + state snapshot) and
 * namespace to the store in one commit. Resolves once durable; commits resolve in order.
 */
export function commit(ctx: EngineContext): Promise<void> {
  if (ctx.dirtyRuns.size === 0 && ctx.dirtyNamespaces.length === 0 && ctx.dirtySchedules.size === 0)
    return ctx.lastCommit;
  const tx: StoreTransaction = { namespaces: ctx.dirtyNamespaces, runs: [] };
  if (ctx.dirtySchedules.size > 0) {
    tx.schedules = [...ctx.dirtySchedules.values()];
    ctx.dirtySchedules.clear();
  }
  for (const run of ctx.dirtyRuns) {
    tx.runs.push({ state: run.state, newEvents: run.events.slice(run.persistedEvents) });
    run.persistedEvents = run.events.length;
  }
  ctx.dirtyRuns.clear();
  ctx.dirtyNamespaces = [];
  const notify = [...ctx.notifyRuns];
  ctx.notifyRuns.clear();
  const done = ctx.store.commit(tx).then(() => {
    for (const run of notify) wakeHistoryWaiters(run);
  });
  ctx.lastCommit = done.catch(() => undefined);
  return done;
}

/**
 * Runs a state change as one transaction: the synchronous mutation, then the commit — even when
 * the mutation ends in an error that was recorded (e.g. a workflow task failed as
 * UNHANDLED_COMMAND) — and only then the answer.
 */
export async function transact<T>(ctx: EngineContext, mutate: () => T): Promise<T> {
  let result: T;
  try {
    result = mutate();
  } catch (err) {
    await commit(ctx);
    throw err;
  }
  await commit(ctx);
  return result;
}

/** Ends a transaction nobody awaits (a deadline fired); a failed commit is logged. */
export function commitInBackground(ctx: EngineContext): void {
  commit(ctx).catch((err: unknown) => ctx.logger.error({ err }, 'devserver: commit failed'));
}

function wakeHistoryWaiters(run: Run): void {
  const waiters = [...run.historyWaiters];
  run.historyWaiters.clear();
  for (const wake of waiters) wake();
}

/** Marks a run as changed in the current transaction. */
export function touch(ctx: EngineContext, run: Run): void {
  ctx.dirtyRuns.add(run);
}

/** Appends an event to the history now; returns its id. */
export function appendEvent(
  ctx: EngineContext,
  run: Run,
  eventType: string,
  attributes: Msg,
  timeMs = Date.now(),
): number {
  const eventId = run.events.length + 1;
  run.events.push(buildEvent(eventId, eventType, attributes, timeMs));
  ctx.dirtyRuns.add(run);
  ctx.notifyRuns.add(run);
  return eventId;
}

/** An event that did not come from the running workflow task's own completion. */
export interface ExternalEvent {
  eventType: string;
  attributes: Msg;
  /** Set `startedEventId` to the id of the event appended just before (transient activity start). */
  linkStartedToPrevious?: boolean;
}

/**
 * Adds events caused by something outside the workflow (activity result, timer, signal, …) as
 * one logical change: buffered while a workflow task is started (core requires nothing between
 * `WorkflowTaskStarted` and `WorkflowTaskCompleted`), else appended at once. Either way a workflow
 * task follows. Returns the new event ids (0 for buffered events: their ids come at the flush).
 * A closed run takes no events.
 */
export function addExternalEvents(ctx: EngineContext, run: Run, events: ExternalEvent[]): number[] {
  const now = Date.now();
  const state = run.state;
  if (state.status !== RUNNING) return events.map(() => 0);
  if (state.workflowTask?.state === 'started') {
    for (const e of events) {
      state.buffered.push({
        eventType: e.eventType,
        attributesField: attributesFieldFor(e.eventType),
        attributes: e.attributes,
        timeMs: now,
        ...(e.linkStartedToPrevious ? { linkStartedToPrevious: true } : {}),
      });
    }
    state.needsWorkflowTask = true;
    touch(ctx, run);
    return events.map(() => 0);
  }
  const ids: number[] = [];
  let previous = 0;
  for (const e of events) {
    const attributes = e.linkStartedToPrevious ? { ...e.attributes, startedEventId: previous } : e.attributes;
    previous = appendEvent(ctx, run, e.eventType, attributes, now);
    ids.push(previous);
  }
  scheduleWorkflowTask(ctx, run);
  return ids;
}

/** Appends buffered events; returns how many there were. */
export function flushBuffer(ctx: EngineContext, run: Run): number {
  const buffered = run.state.buffered;
  if (buffered.length === 0) return 0;
  run.state.buffered = [];
  let previous = 0;
  for (const b of buffered) {
    const attributes = b.linkStartedToPrevious ? { ...b.attributes, startedEventId: previous } : b.attributes;
    previous = appendEvent(ctx, run, b.eventType, attributes, b.timeMs);
  }
  return buffered.length;
}

/**
 * Makes sure a workflow task will run: appends `WorkflowTaskScheduled` and dispatches it, joins
 * an already scheduled one, or asks for another after the started one.
 */
export function scheduleWorkflowTask(
  ctx: EngineContext,
  run: Run,
  { attempt = 1, delayMs = 0 }: { attempt?: number; delayMs?: number } = {},
): void {
  const state = run.state;
  if (state.status !== RUNNING) return;
  if (state.workflowTask) {
    if (state.workflowTask.state === 'started') {
      state.needsWorkflowTask = true;
      touch(ctx, run);
    }
    return;
  }
  const sticky = ctx.options.stickyEnabled && state.stickyQueue !== '' && attempt === 1;
  const queue = sticky ? state.stickyQueue : state.taskQueue;
  const now = Date.now();
  const scheduledEventId = appendEvent(ctx, run, 'EVENT_TYPE_WORKFLOW_TASK_SCHEDULED', {
    taskQueue: sticky
      ? { name: queue, kind: 'TASK_QUEUE_KIND_STICKY', normalName: state.taskQueue }
      : { name: queue, kind: 'TASK_QUEUE_KIND_NORMAL' },
    startToCloseTimeout: msToDuration(state.workflowTaskTimeoutMs),
    attempt,
  });
  state.workflowTask = {
    state: 'scheduled',
    scheduledEventId,
    startedEventId: 0,
    attempt,
    queue,
    sticky,
    scheduledTimeMs: now,
    startedTimeMs: 0,
    notBeforeMs: now + delayMs,
  };
  state.needsWorkflowTask = false;
  dispatchWorkflowTask(ctx, run);
}

/** Puts the run's scheduled workflow task on its queue (after its backoff, if any). */
export function dispatchWorkflowTask(ctx: EngineContext, run: Run): void {
  const wft = run.state.workflowTask;
  if (!wft || wft.state !== 'scheduled') return;
  const delay = wft.notBeforeMs - Date.now();
  if (delay > 0) {
    const scheduledEventId = wft.scheduledEventId;
    ctx.scheduler.set(run.key, 'wft-dispatch', wft.notBeforeMs, () => {
      if (run.state.workflowTask?.scheduledEventId === scheduledEventId) {
        run.state.workflowTask.notBeforeMs = 0;
        dispatchWorkflowTask(ctx, run);
      }
    });
    return;
  }
  ctx.workflowQueues.offer(queueKey(run.state.namespace, wft.queue), {
    kind: 'wft',
    run: run.key,
    scheduledEventId: wft.scheduledEventId,
    queue: wft.queue,
  });
  if (wft.sticky) {
    const scheduledEventId = wft.scheduledEventId;
    // A sticky task nobody picks up (worker gone) moves to the normal queue with full history.
    ctx.scheduler.set(run.key, 'wft-sticky', Date.now() + run.state.stickyScheduleToStartMs, () => {
      const current = run.state.workflowTask;
      if (current?.state === 'scheduled' && current.scheduledEventId === scheduledEventId && current.sticky) {
        ctx.logger.debug(
          { workflowId: run.state.workflowId },
          'sticky schedule-to-start expired, using normal queue',
        );
        clearStickyBinding(ctx, run);
        moveWorkflowTaskToNormalQueue(ctx, run);
        commitInBackground(ctx);
      }
    });
  }
}

/** Re-routes a scheduled sticky workflow task to the run's normal queue. */
export function moveWorkflowTaskToNormalQueue(ctx: EngineContext, run: Run): void {
  const wft = run.state.workflowTask;
  if (!wft || wft.state !== 'scheduled' || !wft.sticky) return;
  wft.sticky = false;
  wft.queue = run.state.taskQueue;
  touch(ctx, run);
  ctx.scheduler.clear(run.key, 'wft-sticky');
  dispatchWorkflowTask(ctx, run);
}

/** Binds the run to a worker's sticky queue (or clears the binding when `queue` is empty). */
export function setStickyBinding(
  ctx: EngineContext,
  run: Run,
  queue: string,
  scheduleToStartMs: number,
): void {
  if (run.state.stickyQueue === queue) {
    run.state.stickyScheduleToStartMs = scheduleToStartMs;
    return;
  }
  clearStickyBinding(ctx, run);
  if (!queue || !ctx.options.stickyEnabled) return;
  run.state.stickyQueue = queue;
  run.state.stickyScheduleToStartMs = scheduleToStartMs;
  const key = queueKey(run.state.namespace, queue);
  let runs = ctx.stickyRuns.get(key);
  if (!runs) {
    runs = new Set();
    ctx.stickyRuns.set(key, runs);
  }
  runs.add(run.key);
  touch(ctx, run);
}

/** Forgets the run's sticky queue; its next task goes to the normal queue with full history. */
export function clearStickyBinding(ctx: EngineContext, run: Run): void {
  const queue = run.state.stickyQueue;
  if (!queue) return;
  const key = queueKey(run.state.namespace, queue);
  const runs = ctx.stickyRuns.get(key);
  runs?.delete(run.key);
  if (runs?.size === 0) ctx.stickyRuns.delete(key);
  run.state.stickyQueue = '';
  touch(ctx, run);
}

/**
 * Queues a legacy query task: on the sticky queue while the run is open and bound (empty
 * history), else on the normal queue (full history). A sticky query nobody takes in time moves
 * to the normal queue.
 */
export function enqueueLegacyQuery(ctx: EngineContext, run: Run, query: PendingQuery): void {
  const state = run.state;
  const sticky = state.status === RUNNING && state.stickyQueue !== '';
  query.legacy = true;
  query.deliveredIn = 0;
  query.queue = sticky ? state.stickyQueue : state.taskQueue;
  ctx.workflowQueues.offer(queueKey(state.namespace, query.queue), {
    kind: 'query',
    run: run.key,
    queryId: query.queryId,
    queue: query.queue,
  });
  if (sticky) {
    ctx.scheduler.set(run.key, `query-${query.queryId}`, Date.now() + state.stickyScheduleToStartMs, () => {
      const pending = run.queries.get(query.queryId);
      if (pending && pending.deliveredIn === 0 && pending.queue !== run.state.taskQueue) {
        pending.queue = run.state.taskQueue;
        ctx.workflowQueues.offer(queueKey(state.namespace, pending.queue), {
          kind: 'query',
          run: run.key,
          queryId: pending.queryId,
          queue: pending.queue,
        });
      }
    });
  }
}

/**
 * Closes the run: status and close time, all timers/timeouts dropped, pending activities
 * abandoned (their tokens turn NOT_FOUND), queries re-routed as legacy queries on the normal
 * queue, parent notified and children handled (`onRunClosed`). Result waiters wake once the
 * transaction is durable.
 */
export function closeRun(ctx: EngineContext, run: Run, status: ExecutionStatus, closeEventId: number): void {
  const state = run.state;
  state.status = status;
  state.closeTimeMs = Date.now();
  state.closeEventId = closeEventId;
  state.workflowTask = null;
  state.needsWorkflowTask = false;
  state.buffered = [];
  state.activities = {};
  state.timers = {};
  clearStickyBinding(ctx, run);
  ctx.scheduler.clearRun(run.key);
  touch(ctx, run);
  for (const query of run.queries.values()) {
    if (query.legacy && query.deliveredIn !== 0) continue;
    if (state.lastCompletedStartedEventId > 0) enqueueLegacyQuery(ctx, run, query);
    else {
      run.queries.delete(query.queryId);
      query.resolve({
        kind: 'failed',
        message: 'workflow closed before its first workflow task completed',
        failure: null,
      });
    }
  }
  ctx.onRunClosed?.(run);
}
