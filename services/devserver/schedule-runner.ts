import { randomUUID } from 'node:crypto';
import { commitInBackground, type EngineContext } from './context';
import { isFollowedByNextRun } from './continue-as-new';
import { DevServerError } from './errors';
import type { Msg } from './proto';
import { scheduleKey, type ScheduleRecord } from './schedule-record';
import {
  catchUp,
  compileScheduleSpec,
  decideOverlap,
  scheduledRunSearchAttributes,
  scheduledWorkflowId,
  type CompiledScheduleSpec,
  type OverlapPolicy,
  type ScheduleSpec,
} from './schedules';
import { RUNNING, workflowKey, type Run } from './state';
import { decodeSearchAttributePayload, encodeSearchAttributePayload } from './visibility';
import { requestCancelRun, startWorkflow, terminateRun, type StartRequest } from './workflows';

/**
 * The schedule runner: one deadline per schedule (the next fire time, jitter included) on the
 * engine's DeadlineScheduler, overlap policies applied per action, the buffer drained when a
 * scheduled workflow closes (the engine's `onRunClosed` hook), catch-up after downtime. All of
 * it is plain functions over the engine context; each deadline ends its own transaction.
 */

/** `ScheduleInfo.recentActions` kept per schedule (the server keeps 10). */
const RECENT_ACTIONS_KEPT = 10;
/** Most actions a schedule buffers (BUFFER_ALL); later ones count as `bufferDropped` (as the server). */
const MAX_BUFFERED_ACTIONS = 1000;
/** Statuses that pause a schedule with `pauseOnFailure` (as the server: not cancel/terminate). */
const FAILURE_STATUSES = new Set(['WORKFLOW_EXECUTION_STATUS_FAILED', 'WORKFLOW_EXECUTION_STATUS_TIMED_OUT']);

const compiledSpecs = new WeakMap<ScheduleSpec, CompiledScheduleSpec>();

/** The compiled spec of a record (cached per spec object; specs are replaced, never mutated). */
export function compiledSpec(spec: ScheduleSpec): CompiledScheduleSpec {
  let compiled = compiledSpecs.get(spec);
  if (!compiled) {
    compiled = compileScheduleSpec(spec);
    compiledSpecs.set(spec, compiled);
  }
  return compiled;
}

/** Deadline-scheduler group of a schedule (kept apart from run keys). */
function timerGroup(record: ScheduleRecord): string {
  return `schedule\u0000${scheduleKey(record.namespace, record.scheduleId)}`;
}

function isLive(ctx: EngineContext, record: ScheduleRecord): boolean {
  return ctx.schedules.get(scheduleKey(record.namespace, record.scheduleId)) === record;
}

/** Marks a schedule as changed in the current transaction. */
export function touchSchedule(ctx: EngineContext, record: ScheduleRecord): void {
  const key = scheduleKey(record.namespace, record.scheduleId);
  ctx.dirtySchedules.set(key, {
    namespace: record.namespace,
    scheduleId: record.scheduleId,
    record: isLive(ctx, record) ? record : null,
  });
}

/** Adds (or replaces) a schedule and arms it. */
export function putSchedule(ctx: EngineContext, record: ScheduleRecord): void {
  const previous = ctx.schedules.get(scheduleKey(record.namespace, record.scheduleId));
  if (previous && previous !== record) ctx.scheduler.clearRun(timerGroup(previous));
  ctx.schedules.set(scheduleKey(record.namespace, record.scheduleId), record);
  touchSchedule(ctx, record);
  armSchedule(ctx, record);
}

/** Deletes a schedule: no more actions; workflows it started keep running. */
export function removeSchedule(ctx: EngineContext, record: ScheduleRecord): void {
  ctx.schedules.delete(scheduleKey(record.namespace, record.scheduleId));
  ctx.scheduler.clearRun(timerGroup(record));
  touchSchedule(ctx, record);
}

/**
 * Sets the deadline of the schedule's next fire time after its cursor (none while paused or out
 * of actions). A time already past fires at once, which is how catch-up after a restart starts.
 */
export function armSchedule(ctx: EngineContext, record: ScheduleRecord): void {
  const group = timerGroup(record);
  ctx.scheduler.clear(group, 'fire');
  if (!isLive(ctx, record) || record.paused) return;
  if (record.limitedActions && record.remainingActions <= 0) return;
  const next = compiledSpec(record.spec).next(record.lastProcessedMs, record.scheduleId);
  if (!next) return;
  ctx.scheduler.set(group, 'fire', next.actualTime, () => {
    processDueActions(ctx, record, Date.now());
    commitInBackground(ctx);
  });
}

/**
 * Acts on every fire time that came due since the cursor: those within the catch-up window are
 * taken (overlap policy applied), older ones count as `missedCatchupWindow`. Then re-arms.
 */
export function processDueActions(ctx: EngineContext, record: ScheduleRecord, now: number): void {
  if (!isLive(ctx, record) || record.paused) return;
  pruneClosedRuns(ctx, record);
  const result = catchUp(compiledSpec(record.spec), {
    scheduleId: record.scheduleId,
    lastProcessed: record.lastProcessedMs,
    now,
    catchupWindowMs: record.policies.catchupWindowMs,
  });
  record.missedCatchupWindow += result.missedCatchupWindow;
  record.lastProcessedMs = Math.max(record.lastProcessedMs, result.lastProcessed);
  for (const fire of result.due) {
    // Like the server, a limited action is used up when it is due, whatever overlap decides.
    if (record.limitedActions) {
      if (record.remainingActions <= 0) break;
      record.remainingActions -= 1;
    }
    takeAction(ctx, record, fire.nominalTime, record.policies.overlapPolicy);
  }
  touchSchedule(ctx, record);
  armSchedule(ctx, record);
}

/** One due action (scheduled, triggered or backfilled) through the overlap policy. */
export function takeAction(
  ctx: EngineContext,
  record: ScheduleRecord,
  nominalTimeMs: number,
  policy: OverlapPolicy,
): void {
  const decision = decideOverlap({
    policy,
    running: record.running.length > 0,
    buffered: record.buffer.length,
  });
  switch (decision.kind) {
    case 'start':
      startAction(ctx, record, nominalTimeMs);
      break;
    case 'buffer':
      if (record.buffer.length >= MAX_BUFFERED_ACTIONS) {
        record.bufferDropped += 1;
        break;
      }
      record.buffer.push({ nominalTimeMs, policy });
      drainBuffer(ctx, record);
      break;
    case 'drop':
      record[decision.counter] += 1;
      break;
    case 'cancelThenStart':
      // The newest action replaces anything waiting; it starts when the cancelled runs close.
      record.buffer = [{ nominalTimeMs, policy }];
      for (const run of openRuns(ctx, record)) {
        if (!run.state.cancelRequested)
          requestCancelRun(ctx, run, {
            reason: 'schedule overlap policy',
            identity: schedulerIdentity(record),
          });
      }
      break;
    case 'terminateThenStart':
      for (const run of openRuns(ctx, record)) {
        terminateRun(ctx, run, 'schedule overlap policy', null, schedulerIdentity(record));
      }
      record.buffer = [];
      startAction(ctx, record, nominalTimeMs);
      break;
  }
  touchSchedule(ctx, record);
}

/** Starts buffered actions while nothing the schedule started is running. */
function drainBuffer(ctx: EngineContext, record: ScheduleRecord): void {
  while (record.buffer.length > 0 && record.running.length === 0) {
    const next = record.buffer.shift()!;
    startAction(ctx, record, next.nominalTimeMs);
  }
  touchSchedule(ctx, record);
}

function schedulerIdentity(record: ScheduleRecord): string {
  return `temporal-scheduler-${record.namespace}-${record.scheduleId}`;
}

/**
 * Starts the action's workflow: id `<workflowId>-<nominal time>`, the action's search
 * attributes plus TemporalScheduledById / TemporalScheduledStartTime. A start the engine
 * refuses (the id is still running) is logged and skipped, as the server does.
 */
function startAction(ctx: EngineContext, record: ScheduleRecord, nominalTimeMs: number): void {
  const action = record.action.startWorkflow as StartRequest;
  const indexedFields: Msg = { ...action.searchAttributes?.indexedFields };
  for (const [name, { type, value }] of Object.entries(
    scheduledRunSearchAttributes(record.scheduleId, nominalTimeMs),
  )) {
    indexedFields[name] = encodeSearchAttributePayload(value, type);
  }
  const request: StartRequest = {
    ...action,
    namespace: record.namespace,
    workflowId: scheduledWorkflowId(action.workflowId ?? '', nominalTimeMs),
    requestId: randomUUID(),
    identity: schedulerIdentity(record),
    workflowIdReusePolicy: 'WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE',
    searchAttributes: { indexedFields },
  };
  let run: Run;
  try {
    run = startWorkflow(ctx, record.namespace, request).run;
  } catch (err) {
    if (!(err instanceof DevServerError)) throw err;
    ctx.logger.warn(
      { err, scheduleId: record.scheduleId, workflowId: request.workflowId },
      'devserver: scheduled workflow not started',
    );
    return;
  }
  const started = { workflowId: run.state.workflowId, runId: run.state.runId };
  record.actionCount += 1;
  record.running.push(started);
  record.recentActions.push({
    ...started,
    scheduleTimeMs: nominalTimeMs,
    actualTimeMs: run.state.startTimeMs,
    status: RUNNING,
  });
  if (record.recentActions.length > RECENT_ACTIONS_KEPT) record.recentActions.shift();
  touchSchedule(ctx, record);
}

/** Open runs (latest of each chain) of the workflows a schedule started. */
function openRuns(ctx: EngineContext, record: ScheduleRecord): Run[] {
  return record.running.flatMap((r) => {
    const run = ctx.current.get(workflowKey(record.namespace, r.workflowId));
    return run && run.state.status === RUNNING && run.state.firstExecutionRunId === r.runId ? [run] : [];
  });
}

/** Forgets running workflows that closed without the schedule hearing it (server down). */
function pruneClosedRuns(ctx: EngineContext, record: ScheduleRecord): void {
  const open = new Set(openRuns(ctx, record).map((run) => run.state.workflowId));
  const before = record.running.length;
  record.running = record.running.filter((r) => open.has(r.workflowId));
  if (record.running.length !== before) touchSchedule(ctx, record);
}

/**
 * Part of the engine's `onRunClosed` hook: when a workflow a schedule started closes (not when
 * another run of its chain follows), the schedule stops counting it as running, records its status,
 * pauses on failure if asked to, and starts what its overlap policy buffered (in a transaction
 * of its own, so starting never nests inside the close).
 */
export function handleScheduledRunClosed(ctx: EngineContext, run: Run): void {
  // A run followed by another of its chain (continue-as-new, retry, cron) is still running.
  if (ctx.schedules.size === 0 || isFollowedByNextRun(run)) return;
  const payload = run.state.searchAttributes?.TemporalScheduledById as Msg | undefined;
  if (!payload) return;
  const { value: scheduleId } = decodeSearchAttributePayload(payload);
  if (typeof scheduleId !== 'string') return;
  const record = ctx.schedules.get(scheduleKey(run.state.namespace, scheduleId));
  if (!record) return;
  const index = record.running.findIndex(
    (r) => r.workflowId === run.state.workflowId && r.runId === run.state.firstExecutionRunId,
  );
  if (index < 0) return;
  record.running.splice(index, 1);
  for (const action of record.recentActions) {
    if (action.workflowId === run.state.workflowId && action.runId === run.state.firstExecutionRunId) {
      action.status = run.state.status;
    }
  }
  if (record.policies.pauseOnFailure && FAILURE_STATUSES.has(run.state.status) && !record.paused) {
    record.paused = true;
    record.notes = `paused after workflow ${run.state.workflowId} ended with ${run.state.status}`;
    ctx.scheduler.clear(timerGroup(record), 'fire');
  }
  touchSchedule(ctx, record);
  if (record.buffer.length > 0) {
    ctx.scheduler.set(timerGroup(record), 'drain', Date.now(), () => {
      if (!isLive(ctx, record)) return;
      drainBuffer(ctx, record);
      commitInBackground(ctx);
    });
  }
}

/**
 * After a restart: takes the persisted schedules back and arms each. Fire times missed while the
 * server was down come due at once (catch-up window applied); runs that closed meanwhile are
 * forgotten and the buffer drains.
 */
export function resumeSchedules(ctx: EngineContext, records: ScheduleRecord[]): void {
  for (const record of records) {
    ctx.schedules.set(scheduleKey(record.namespace, record.scheduleId), record);
    armSchedule(ctx, record);
    ctx.scheduler.set(timerGroup(record), 'drain', Date.now(), () => {
      if (!isLive(ctx, record)) return;
      pruneClosedRuns(ctx, record);
      drainBuffer(ctx, record);
      commitInBackground(ctx);
    });
  }
}
