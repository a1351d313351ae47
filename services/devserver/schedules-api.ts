import { status } from '@grpc/grpc-js';
import { transact, type EngineContext } from './context';
import { DevServerError, FailedPreconditionError, InvalidArgumentError, NotFoundError } from './errors';
import { packAny, type Msg } from './proto';
import {
  actionResultToProto,
  canonicalSpecToProto,
  decodeConflictToken,
  encodeConflictToken,
  policiesToProto,
  stateToProto,
  validateSchedule,
} from './schedule-proto';
import { scheduleKey, type ScheduleRecord } from './schedule-record';
import {
  armSchedule,
  compiledSpec,
  putSchedule,
  removeSchedule,
  takeAction,
  touchSchedule,
} from './schedule-runner';
import { backfillTimes, nextFireTimes, parseOverlapPolicy } from './schedules';
import { msToTimestamp, protoTimeToMs } from './time';

/** Future action times DescribeSchedule / ListSchedules show (as the server). */
const DESCRIBE_FUTURE_TIMES = 10;
const LIST_FUTURE_TIMES = 5;
const LIST_RECENT_ACTIONS = 5;
/** ListSchedules page size when the request gives none. */
const DEFAULT_LIST_PAGE_SIZE = 1000;
/** Most times one ListScheduleMatchingTimes answer holds. */
const MAX_MATCHING_TIMES = 1000;

type ScheduleHandler = (req: Msg) => Promise<Msg> | Msg;

/** ALREADY_EXISTS for CreateSchedule with a taken id (the TS client: ScheduleAlreadyRunning). */
class ScheduleAlreadyExistsError extends DevServerError {
  override readonly name = 'ScheduleAlreadyExistsError';
  constructor(scheduleId: string, requestId: string) {
    super(status.ALREADY_EXISTS, `schedule with this ID is already registered: ${scheduleId}`, [
      packAny('temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure', {
        startRequestId: requestId,
      }),
    ]);
  }
}

function requireScheduleId(req: Msg): string {
  const id = req.scheduleId;
  if (typeof id !== 'string' || id === '') throw new InvalidArgumentError('scheduleId is required');
  return id;
}

/** Cursor for future times: never before now, nor before what was already processed. */
function futureTimes(record: ScheduleRecord, count: number): { seconds: number; nanos: number }[] {
  const n = record.limitedActions ? Math.min(count, record.remainingActions) : count;
  const after = Math.max(Date.now(), record.lastProcessedMs);
  return nextFireTimes(compiledSpec(record.spec), after, n, { scheduleId: record.scheduleId }).map((f) =>
    msToTimestamp(f.actualTime),
  );
}

function listEntry(record: ScheduleRecord): Msg {
  const startWorkflow = record.action.startWorkflow as Msg;
  return {
    scheduleId: record.scheduleId,
    memo: record.memo ? { fields: record.memo } : undefined,
    searchAttributes: record.searchAttributes ? { indexedFields: record.searchAttributes } : undefined,
    info: {
      spec: canonicalSpecToProto(compiledSpec(record.spec).canonical),
      workflowType: startWorkflow.workflowType,
      notes: record.notes,
      paused: record.paused,
      recentActions: record.recentActions.slice(-LIST_RECENT_ACTIONS).map(actionResultToProto),
      futureActionTimes: futureTimes(record, LIST_FUTURE_TIMES),
    },
  };
}

/**
 * The `query` subset ListSchedules understands: empty, `ScheduleId = '…'`,
 * `ScheduleId STARTS_WITH '…'` and `TemporalSchedulePaused = true|false`.
 */
function scheduleQueryFilter(query: unknown): (record: ScheduleRecord) => boolean {
  const text = typeof query === 'string' ? query.trim() : '';
  if (text === '') return () => true;
  const id = /^`?ScheduleId`?\s*(=|STARTS_WITH)\s*(['"])(.*)\2$/i.exec(text);
  if (id) {
    const value = id[3] ?? '';
    return id[1] === '=' ? (r) => r.scheduleId === value : (r) => r.scheduleId.startsWith(value);
  }
  const paused = /^`?TemporalSchedulePaused`?\s*=\s*(true|false)$/i.exec(text);
  if (paused) {
    const value = paused[1]?.toLowerCase() === 'true';
    return (r) => r.paused === value;
  }
  throw new InvalidArgumentError(
    `query '${text}' is not supported by the devserver's ListSchedules: use ScheduleId = '…', ` +
      `ScheduleId STARTS_WITH '…', TemporalSchedulePaused = true|false, or no query`,
  );
}

function decodeListToken(bytes: unknown): number {
  if (!Buffer.isBuffer(bytes) || bytes.length === 0) return 0;
  const offset = Number(bytes.toString('utf8'));
  if (!Number.isInteger(offset) || offset < 0) {
    throw new InvalidArgumentError(
      'nextPageToken is malformed: pass back the token of the previous page unchanged',
    );
  }
  return offset;
}

/** WorkflowService schedule RPCs over the engine; spread into the service's handlers. */
export function createScheduleHandlers(ctx: EngineContext): Record<string, ScheduleHandler> {
  const ns = (req: Msg): string => ctx.namespaces.require(req.namespace).name;

  const find = (req: Msg): ScheduleRecord => {
    const namespace = ns(req);
    const scheduleId = requireScheduleId(req);
    const record = ctx.schedules.get(scheduleKey(namespace, scheduleId));
    if (!record) throw new NotFoundError(`schedule not found: ${scheduleId}`);
    return record;
  };

  /** A client-made change: new conflict token, update time. */
  const changed = (record: ScheduleRecord): void => {
    record.conflictToken += 1;
    record.updateTimeMs = Date.now();
    touchSchedule(ctx, record);
  };

  /** PatchSchedule's work (also CreateSchedule's initialPatch). */
  const applyPatch = (record: ScheduleRecord, patch: Msg | undefined): void => {
    if (!patch) return;
    const now = Date.now();
    if (typeof patch.pause === 'string' && patch.pause !== '') {
      record.paused = true;
      record.notes = patch.pause;
      armSchedule(ctx, record);
    }
    if (typeof patch.unpause === 'string' && patch.unpause !== '') {
      record.paused = false;
      record.notes = patch.unpause;
      // Times that passed while paused are skipped, not caught up.
      record.lastProcessedMs = Math.max(record.lastProcessedMs, now);
      armSchedule(ctx, record);
    }
    const trigger = patch.triggerImmediately as Msg | undefined;
    if (trigger) {
      const at = trigger.scheduledTime ? protoTimeToMs(trigger.scheduledTime) : now;
      takeAction(ctx, record, at, parseOverlapPolicy(trigger.overlapPolicy, record.policies.overlapPolicy));
    }
    for (const [i, backfill] of ((patch.backfillRequest as Msg[] | undefined) ?? []).entries()) {
      if (!backfill.startTime || !backfill.endTime) {
        throw new InvalidArgumentError(`patch.backfillRequest[${i}]: startTime and endTime are required`);
      }
      const { times } = backfillTimes(compiledSpec(record.spec), {
        scheduleId: record.scheduleId,
        startTime: protoTimeToMs(backfill.startTime),
        endTime: protoTimeToMs(backfill.endTime),
      });
      const policy = parseOverlapPolicy(backfill.overlapPolicy, record.policies.overlapPolicy);
      for (const fire of times) takeAction(ctx, record, fire.nominalTime, policy);
    }
    changed(record);
  };

  return {
    CreateSchedule: (req) =>
      transact(ctx, () => {
        const namespace = ns(req);
        const scheduleId = requireScheduleId(req);
        const requestId = typeof req.requestId === 'string' ? req.requestId : '';
        const existing = ctx.schedules.get(scheduleKey(namespace, scheduleId));
        if (existing) {
          // A retried create (same request id) succeeds, as the server's.
          if (requestId && existing.requestId === requestId)
            return { conflictToken: encodeConflictToken(existing.conflictToken) };
          throw new ScheduleAlreadyExistsError(scheduleId, existing.requestId);
        }
        const valid = validateSchedule(req.schedule as Msg | undefined, namespace);
        const now = Date.now();
        const record: ScheduleRecord = {
          namespace,
          scheduleId,
          spec: valid.spec,
          action: valid.action,
          policies: valid.policies,
          paused: valid.paused,
          notes: valid.notes,
          limitedActions: valid.limitedActions,
          remainingActions: valid.remainingActions,
          memo: ((req.memo as Msg | undefined)?.fields as Msg | undefined) ?? null,
          searchAttributes:
            ((req.searchAttributes as Msg | undefined)?.indexedFields as Msg | undefined) ?? null,
          requestId,
          conflictToken: 1,
          createTimeMs: now,
          updateTimeMs: 0,
          lastProcessedMs: now,
          actionCount: 0,
          missedCatchupWindow: 0,
          overlapSkipped: 0,
          bufferDropped: 0,
          running: [],
          recentActions: [],
          buffer: [],
        };
        putSchedule(ctx, record);
        const patch = req.initialPatch as Msg | undefined;
        if (
          patch &&
          (patch.triggerImmediately || patch.pause || (patch.backfillRequest as Msg[] | undefined)?.length)
        ) {
          applyPatch(record, patch);
          // The initial patch is part of the creation, not a later update.
          record.updateTimeMs = 0;
        }
        return { conflictToken: encodeConflictToken(record.conflictToken) };
      }),

    DescribeSchedule: (req) => {
      const record = find(req);
      return {
        schedule: {
          spec: canonicalSpecToProto(compiledSpec(record.spec).canonical),
          action: record.action,
          policies: policiesToProto(record.policies),
          state: stateToProto(record),
        },
        info: {
          actionCount: record.actionCount,
          missedCatchupWindow: record.missedCatchupWindow,
          overlapSkipped: record.overlapSkipped,
          bufferDropped: record.bufferDropped,
          bufferSize: record.buffer.length,
          runningWorkflows: record.running.map((r) => ({ workflowId: r.workflowId, runId: r.runId })),
          recentActions: record.recentActions.map(actionResultToProto),
          futureActionTimes: futureTimes(record, DESCRIBE_FUTURE_TIMES),
          createTime: msToTimestamp(record.createTimeMs),
          ...(record.updateTimeMs ? { updateTime: msToTimestamp(record.updateTimeMs) } : {}),
        },
        memo: record.memo ? { fields: record.memo } : undefined,
        searchAttributes: record.searchAttributes ? { indexedFields: record.searchAttributes } : undefined,
        conflictToken: encodeConflictToken(record.conflictToken),
      };
    },

    UpdateSchedule: (req) =>
      transact(ctx, () => {
        const record = find(req);
        const token = decodeConflictToken(req.conflictToken);
        if (token !== undefined && token !== record.conflictToken) {
          throw new FailedPreconditionError(
            'conflictToken does not match: the schedule changed since it was described; describe it again and retry',
          );
        }
        const valid = validateSchedule(req.schedule as Msg | undefined, record.namespace);
        record.spec = valid.spec;
        record.action = valid.action;
        record.policies = valid.policies;
        record.paused = valid.paused;
        record.notes = valid.notes;
        record.limitedActions = valid.limitedActions;
        record.remainingActions = valid.remainingActions;
        const attributes = (req.searchAttributes as Msg | undefined)?.indexedFields as Msg | undefined;
        if (attributes) record.searchAttributes = attributes;
        const memo = (req.memo as Msg | undefined)?.fields as Msg | undefined;
        if (memo) record.memo = memo;
        // The new spec applies from now on: no catch-up of times it would have had before.
        record.lastProcessedMs = Math.max(record.lastProcessedMs, Date.now());
        changed(record);
        armSchedule(ctx, record);
        return {};
      }),

    PatchSchedule: (req) =>
      transact(ctx, () => {
        applyPatch(find(req), req.patch as Msg | undefined);
        return {};
      }),

    DeleteSchedule: (req) =>
      transact(ctx, () => {
        removeSchedule(ctx, find(req));
        return {};
      }),

    ListSchedules: (req) => {
      const namespace = ns(req);
      const filter = scheduleQueryFilter(req.query);
      const pageSize = Number(req.maximumPageSize) > 0 ? Number(req.maximumPageSize) : DEFAULT_LIST_PAGE_SIZE;
      const offset = decodeListToken(req.nextPageToken);
      const matching = [...ctx.schedules.values()]
        .filter((r) => r.namespace === namespace && filter(r))
        .sort((a, b) => a.createTimeMs - b.createTimeMs || a.scheduleId.localeCompare(b.scheduleId));
      const page = matching.slice(offset, offset + pageSize);
      const next = offset + page.length;
      return {
        schedules: page.map(listEntry),
        nextPageToken: next < matching.length ? Buffer.from(String(next)) : Buffer.alloc(0),
      };
    },

    ListScheduleMatchingTimes: (req) => {
      const record = find(req);
      if (!req.startTime || !req.endTime)
        throw new InvalidArgumentError('startTime and endTime are required');
      const end = protoTimeToMs(req.endTime);
      const compiled = compiledSpec(record.spec);
      const times: { seconds: number; nanos: number }[] = [];
      let cursor = protoTimeToMs(req.startTime);
      while (times.length < MAX_MATCHING_TIMES) {
        const fire = compiled.next(cursor, record.scheduleId);
        if (!fire || fire.actualTime > end) break;
        times.push(msToTimestamp(fire.actualTime));
        cursor = fire.nominalTime;
      }
      return { startTime: times };
    },
  };
}
