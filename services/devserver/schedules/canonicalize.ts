import { calendarToStructured, cronToStructuredCalendar, FIELD_RULES } from './calendar';
import { InvalidScheduleSpecError } from './errors';
import type { CanonicalScheduleSpec, ScheduleSpec, StructuredCalendarSpec } from './spec';
import { isValidTimeZone } from './time-zone';

/** Upper bound on calendars/intervals per spec, so one request cannot make scheduling slow. */
export const MAX_SPEC_ENTRIES = 100;
/** Longest calendar comment accepted. */
export const MAX_COMMENT_LENGTH = 200;

const STRUCTURED_FIELDS = Object.keys(FIELD_RULES) as (keyof typeof FIELD_RULES)[];

function validateStructured(cal: StructuredCalendarSpec, path: string): void {
  for (const field of STRUCTURED_FIELDS) {
    const rule = FIELD_RULES[field];
    (cal[field] ?? []).forEach((r, i) => {
      const where = `${path}.${field}[${i}]`;
      const ints = [r.start, r.end ?? 0, r.step ?? 0];
      if (!ints.every((n) => Number.isInteger(n)))
        throw new InvalidScheduleSpecError(where, 'start, end and step must be integers');
      if (r.start < rule.min || r.start > rule.max) {
        throw new InvalidScheduleSpecError(where, `start ${r.start} is out of range ${rule.min}-${rule.max}`);
      }
      // end < start means "just start" (proto doc; the TS client sends end 1 for open ranges).
      if (r.end !== undefined && r.end > rule.max) {
        throw new InvalidScheduleSpecError(where, `end ${r.end} is out of range ${rule.min}-${rule.max}`);
      }
      if ((r.step ?? 0) < 0) throw new InvalidScheduleSpecError(where, 'step must not be negative');
    });
  }
  if ((cal.comment ?? '').length > MAX_COMMENT_LENGTH) {
    throw new InvalidScheduleSpecError(`${path}.comment`, `must be at most ${MAX_COMMENT_LENGTH} characters`);
  }
}

/**
 * Validates a spec and compiles it to the form DescribeSchedule returns: cron strings and
 * string calendars become structured calendars (`@every` crons become intervals), a cron's
 * `CRON_TZ=` becomes `timezoneName`. Throws InvalidScheduleSpecError ("Invalid schedule spec:
 * <field>: <problem>") for anything the scheduler could not run.
 */
export function canonicalizeSpec(spec: ScheduleSpec): CanonicalScheduleSpec {
  const structuredCalendar: StructuredCalendarSpec[] = [];
  const interval = [...(spec.interval ?? [])];
  let timezoneName = spec.timezoneName ?? '';

  (spec.structuredCalendar ?? []).forEach((cal, i) => {
    validateStructured(cal, `structuredCalendar[${i}]`);
    structuredCalendar.push(cal);
  });
  (spec.calendar ?? []).forEach((cal, i) =>
    structuredCalendar.push(calendarToStructured(cal, `calendar[${i}]`)),
  );
  let firstCronZone: string | undefined;
  (spec.cronString ?? []).forEach((cron, i) => {
    const path = `cronString[${i}]`;
    const parsed = cronToStructuredCalendar(cron, path);
    // All cron strings of a spec must agree on CRON_TZ, present or not (as the server requires).
    const zone = parsed.timezoneName ?? '';
    if (i > 0 && zone !== firstCronZone) {
      throw new InvalidScheduleSpecError(
        path,
        `time zone '${zone}' differs from cronString[0]'s '${firstCronZone}'`,
      );
    }
    firstCronZone = zone;
    if (parsed.timezoneName !== undefined && parsed.timezoneName !== '') {
      if (timezoneName !== '' && timezoneName !== parsed.timezoneName) {
        throw new InvalidScheduleSpecError(
          path,
          `time zone '${parsed.timezoneName}' conflicts with '${timezoneName}'; use one time zone per schedule`,
        );
      }
      timezoneName = parsed.timezoneName;
    }
    if (parsed.structuredCalendar) structuredCalendar.push(parsed.structuredCalendar);
    if (parsed.interval) interval.push(parsed.interval);
  });
  const excludeStructuredCalendar: StructuredCalendarSpec[] = [];
  (spec.excludeStructuredCalendar ?? []).forEach((cal, i) => {
    validateStructured(cal, `excludeStructuredCalendar[${i}]`);
    excludeStructuredCalendar.push(cal);
  });
  (spec.excludeCalendar ?? []).forEach((cal, i) =>
    excludeStructuredCalendar.push(calendarToStructured(cal, `excludeCalendar[${i}]`)),
  );

  interval.forEach((iv, i) => {
    const path = `interval[${i}]`;
    if (!Number.isFinite(iv.intervalMs) || iv.intervalMs < 1000) {
      throw new InvalidScheduleSpecError(`${path}.interval`, 'must be at least 1 second');
    }
    const phase = iv.phaseMs ?? 0;
    if (!Number.isFinite(phase) || phase < 0 || phase >= iv.intervalMs) {
      throw new InvalidScheduleSpecError(`${path}.phase`, 'must be at least 0 and less than the interval');
    }
  });
  if (structuredCalendar.length + interval.length > MAX_SPEC_ENTRIES) {
    throw new InvalidScheduleSpecError(
      'spec',
      `at most ${MAX_SPEC_ENTRIES} calendars and intervals in total`,
    );
  }
  if (!isValidTimeZone(timezoneName)) {
    throw new InvalidScheduleSpecError(
      'timezoneName',
      `unknown time zone '${timezoneName}'; use an IANA name such as 'Europe/Paris'`,
    );
  }
  if (spec.jitterMs !== undefined && (!Number.isFinite(spec.jitterMs) || spec.jitterMs < 0)) {
    throw new InvalidScheduleSpecError('jitter', 'must not be negative');
  }
  if (spec.startTime !== undefined && spec.endTime !== undefined && spec.endTime < spec.startTime) {
    throw new InvalidScheduleSpecError('endTime', 'must not be before startTime');
  }

  const out: CanonicalScheduleSpec = { structuredCalendar, interval, excludeStructuredCalendar };
  if (spec.startTime !== undefined) out.startTime = spec.startTime;
  if (spec.endTime !== undefined) out.endTime = spec.endTime;
  if (spec.jitterMs) out.jitterMs = spec.jitterMs;
  if (timezoneName !== '') out.timezoneName = timezoneName;
  return out;
}

/** Validates a spec; throws InvalidScheduleSpecError (→ INVALID_ARGUMENT) when it is bad. */
export function validateScheduleSpec(spec: ScheduleSpec): void {
  canonicalizeSpec(spec);
}
