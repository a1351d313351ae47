import { canonicalizeSpec } from './canonicalize';
import { compileCalendar, type CalendarMatcher } from './calendar-matcher';
import { deterministicJitter } from './jitter';
import type { CanonicalScheduleSpec, IntervalSpec, ScheduleSpec } from './spec';
import { createZone } from './time-zone';

/** One scheduled action: the nominal (spec) time and the jittered time it actually runs. */
export interface FireTime {
  nominalTime: number;
  actualTime: number;
}

/** A validated spec ready to enumerate times. */
export interface CompiledScheduleSpec {
  canonical: CanonicalScheduleSpec;
  /** First nominal time strictly after `after` (epoch ms), or undefined when none remain. */
  nextNominal(after: number): number | undefined;
  /** nextNominal plus jitter for `scheduleId`. */
  next(after: number, scheduleId: string): FireTime | undefined;
}

/** Bound on consecutive excluded candidates skipped in one search (≈ a day of 1 s intervals). */
const MAX_EXCLUDED_STEPS = 100_000;

function nextInterval(iv: IntervalSpec, after: number): number {
  const phase = iv.phaseMs ?? 0;
  return (Math.floor((after - phase) / iv.intervalMs) + 1) * iv.intervalMs + phase;
}

/**
 * Validates and compiles a spec (throws InvalidScheduleSpecError). Calendars fire in the
 * spec's time zone (see compileCalendar for DST), intervals at `k·interval + phase` after the
 * Unix epoch; times before `startTime`, after `endTime` or matching an exclusion are skipped.
 */
export function compileScheduleSpec(spec: ScheduleSpec): CompiledScheduleSpec {
  const canonical = canonicalizeSpec(spec);
  const zone = createZone(canonical.timezoneName ?? '');
  const calendars: CalendarMatcher[] = canonical.structuredCalendar.map((c) => compileCalendar(c, zone));
  const excludes: CalendarMatcher[] = canonical.excludeStructuredCalendar.map((c) =>
    compileCalendar(c, zone),
  );
  const { startTime, endTime } = canonical;

  const nextNominal = (after: number): number | undefined => {
    let cursor = startTime !== undefined ? Math.max(after, startTime - 1) : after;
    // Each calendar's next time stays valid while the cursor is below it, so stepping over a
    // long exclusion with a short interval does not recompute calendars (the costly part).
    const pending: (number | undefined)[] = calendars.map(() => undefined);
    const exhausted: boolean[] = calendars.map(() => false);
    for (let guard = 0; guard < MAX_EXCLUDED_STEPS; guard++) {
      let best: number | undefined;
      for (let i = 0; i < calendars.length; i++) {
        if (exhausted[i]) continue;
        let t = pending[i];
        if (t === undefined || t <= cursor) {
          t = calendars[i]!.next(cursor);
          pending[i] = t;
          if (t === undefined) exhausted[i] = true;
        }
        if (t !== undefined && (best === undefined || t < best)) best = t;
      }
      for (const iv of canonical.interval) {
        const t = nextInterval(iv, cursor);
        if (best === undefined || t < best) best = t;
      }
      if (best === undefined || (endTime !== undefined && best > endTime)) return undefined;
      if (!excludes.some((x) => x.matches(best))) return best;
      cursor = best;
    }
    return undefined;
  };

  return {
    canonical,
    nextNominal,
    next(after, scheduleId) {
      const nominalTime = nextNominal(after);
      if (nominalTime === undefined) return undefined;
      const jitter = canonical.jitterMs ?? 0;
      if (jitter === 0) return { nominalTime, actualTime: nominalTime };
      // Jitter never pushes an action past the next nominal time.
      const following = nextNominal(nominalTime);
      const bound = following === undefined ? jitter : Math.min(jitter, following - nominalTime);
      return { nominalTime, actualTime: nominalTime + deterministicJitter(scheduleId, nominalTime, bound) };
    },
  };
}

/**
 * The next `count` fire times strictly after `after` (DescribeSchedule `futureActionTimes` uses
 * the actual times; ListSchedules shows 5, Describe 10).
 */
export function nextFireTimes(
  spec: ScheduleSpec | CompiledScheduleSpec,
  after: number,
  count: number,
  options: { scheduleId?: string } = {},
): FireTime[] {
  const compiled = 'nextNominal' in spec ? spec : compileScheduleSpec(spec);
  const out: FireTime[] = [];
  let cursor = after;
  while (out.length < count) {
    const fire = compiled.next(cursor, options.scheduleId ?? '');
    if (!fire) break;
    out.push(fire);
    cursor = fire.nominalTime;
  }
  return out;
}
