import { InvalidArgumentError } from './errors';
import type { Msg } from './proto';
import type { ScheduleActionRecord, ScheduleDefinition, ScheduleRecord } from './schedule-record';
import { compiledSpec } from './schedule-runner';
import {
  applyPolicyDefaults,
  InvalidScheduleSpecError,
  type CalendarSpec,
  type CanonicalScheduleSpec,
  type CompiledScheduleSpec,
  type IntervalSpec,
  type Range,
  type SchedulePolicies,
  type ScheduleSpec,
  type StructuredCalendarSpec,
} from './schedules';
import { msToDuration, msToTimestamp, protoTimeToMs, type ProtoTime } from './time';
import { validateStartRequest, type StartRequest } from './workflows';

/**
 * Conversions between `temporal.api.schedule.v1` messages (plain-object form) and the pure
 * schedule model (epoch ms, durations in ms), plus request validation.
 */

const RANGE_FIELDS = ['second', 'minute', 'hour', 'dayOfMonth', 'month', 'year', 'dayOfWeek'] as const;

function rangesFromProto(ranges: unknown): Range[] | undefined {
  if (!Array.isArray(ranges)) return undefined;
  return (ranges as Msg[]).map((r) => ({
    start: Number(r.start ?? 0),
    end: Number(r.end ?? 0),
    step: Number(r.step ?? 0),
  }));
}

function structuredFromProto(cal: Msg): StructuredCalendarSpec {
  const out: StructuredCalendarSpec = {};
  for (const field of RANGE_FIELDS) out[field] = rangesFromProto(cal[field]);
  if (typeof cal.comment === 'string') out.comment = cal.comment;
  return out;
}

function optionalMs(t: unknown): number | undefined {
  return t ? protoTimeToMs(t) : undefined;
}

/** `ScheduleSpec` message → the pure model's spec. */
export function specFromProto(spec: Msg | undefined): ScheduleSpec {
  const s = spec ?? {};
  const list = <T>(v: unknown): T[] | undefined => (Array.isArray(v) ? (v as T[]) : undefined);
  return {
    structuredCalendar: list<Msg>(s.structuredCalendar)?.map(structuredFromProto),
    cronString: list<string>(s.cronString),
    calendar: list<CalendarSpec>(s.calendar),
    interval: list<Msg>(s.interval)?.map((iv): IntervalSpec => ({
      intervalMs: protoTimeToMs(iv.interval as ProtoTime),
      phaseMs: protoTimeToMs(iv.phase as ProtoTime),
    })),
    excludeCalendar: list<CalendarSpec>(s.excludeCalendar),
    excludeStructuredCalendar: list<Msg>(s.excludeStructuredCalendar)?.map(structuredFromProto),
    startTime: optionalMs(s.startTime),
    endTime: optionalMs(s.endTime),
    jitterMs: optionalMs(s.jitter),
    timezoneName: typeof s.timezoneName === 'string' ? s.timezoneName : undefined,
  };
}

/** A canonical spec as `ScheduleSpec` message: what Describe and List return. */
export function canonicalSpecToProto(spec: CanonicalScheduleSpec): Msg {
  return {
    structuredCalendar: spec.structuredCalendar,
    interval: spec.interval.map((iv) => ({
      interval: msToDuration(iv.intervalMs),
      phase: msToDuration(iv.phaseMs ?? 0),
    })),
    excludeStructuredCalendar: spec.excludeStructuredCalendar,
    ...(spec.startTime !== undefined ? { startTime: msToTimestamp(spec.startTime) } : {}),
    ...(spec.endTime !== undefined ? { endTime: msToTimestamp(spec.endTime) } : {}),
    ...(spec.jitterMs ? { jitter: msToDuration(spec.jitterMs) } : {}),
    timezoneName: spec.timezoneName ?? '',
  };
}

/** `SchedulePolicies` message → policies with the server's defaults filled in. */
export function policiesFromProto(policies: Msg | undefined): SchedulePolicies {
  const p = policies ?? {};
  return applyPolicyDefaults({
    overlapPolicy: p.overlapPolicy,
    catchupWindowMs: protoTimeToMs(p.catchupWindow as ProtoTime | undefined),
    pauseOnFailure: p.pauseOnFailure === true,
    keepOriginalWorkflowId: p.keepOriginalWorkflowId === true,
  });
}

export function policiesToProto(p: SchedulePolicies): Msg {
  return {
    overlapPolicy: `SCHEDULE_OVERLAP_POLICY_${p.overlapPolicy}`,
    catchupWindow: msToDuration(p.catchupWindowMs),
    pauseOnFailure: p.pauseOnFailure,
    keepOriginalWorkflowId: p.keepOriginalWorkflowId,
  };
}

/** `ScheduleActionResult` message of a recent action. */
export function actionResultToProto(a: ScheduleActionRecord): Msg {
  return {
    scheduleTime: msToTimestamp(a.scheduleTimeMs),
    actualTime: msToTimestamp(a.actualTimeMs),
    startWorkflowResult: { workflowId: a.workflowId, runId: a.runId },
    startWorkflowStatus: a.status,
  };
}

/** `ScheduleState` message of a record. */
export function stateToProto(record: ScheduleRecord): Msg {
  return {
    notes: record.notes,
    paused: record.paused,
    limitedActions: record.limitedActions,
    remainingActions: record.limitedActions ? record.remainingActions : 0,
  };
}

/** The opaque conflict token: the record's change counter as 8 big-endian bytes. */
export function encodeConflictToken(token: number): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigInt64BE(BigInt(token));
  return bytes;
}

export function decodeConflictToken(bytes: unknown): number | undefined {
  if (!Buffer.isBuffer(bytes) || bytes.length === 0) return undefined;
  if (bytes.length !== 8)
    throw new InvalidArgumentError(
      'conflictToken is malformed: pass back the token DescribeSchedule returned',
    );
  return Number(bytes.readBigInt64BE());
}

/** The validated parts of a `Schedule` message from CreateSchedule / UpdateSchedule. */
export interface ValidatedSchedule extends ScheduleDefinition {
  compiled: CompiledScheduleSpec;
}

/**
 * Checks a `Schedule` message and compiles its spec. A bad spec answers INVALID_ARGUMENT with
 * "Invalid schedule spec: <field>: <problem>" (the TS client turns that prefix into a
 * TypeError); a bad action names its field under `schedule.action.startWorkflow`.
 */
export function validateSchedule(schedule: Msg | undefined, namespace: string): ValidatedSchedule {
  if (!schedule) throw new InvalidArgumentError('schedule is required');
  const spec = specFromProto(schedule.spec as Msg | undefined);
  let compiled: CompiledScheduleSpec;
  try {
    compiled = compiledSpec(spec);
  } catch (err) {
    if (err instanceof InvalidScheduleSpecError) throw new InvalidArgumentError(err.message);
    throw err;
  }
  const action = schedule.action as Msg | undefined;
  const startWorkflow = action?.startWorkflow as StartRequest | undefined;
  if (!action || !startWorkflow) {
    throw new InvalidArgumentError('schedule.action.startWorkflow is required (the only action type)');
  }
  try {
    validateStartRequest({ ...startWorkflow, namespace });
  } catch (err) {
    if (err instanceof InvalidArgumentError) {
      throw new InvalidArgumentError(`schedule.action.startWorkflow.${err.message}`);
    }
    throw err;
  }
  const state = (schedule.state as Msg | undefined) ?? {};
  const remainingActions = Number(state.remainingActions ?? 0);
  if (state.limitedActions === true && (!Number.isInteger(remainingActions) || remainingActions < 0)) {
    throw new InvalidArgumentError('schedule.state.remainingActions must be a non-negative integer');
  }
  return {
    spec,
    compiled,
    action,
    policies: policiesFromProto(schedule.policies as Msg | undefined),
    paused: state.paused === true,
    notes: typeof state.notes === 'string' ? state.notes : '',
    limitedActions: state.limitedActions === true,
    remainingActions: state.limitedActions === true ? remainingActions : 0,
  };
}
