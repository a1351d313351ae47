import { FIELD_RULES, MAX_CALENDAR_YEAR } from './calendar';
import type { Range, StructuredCalendarSpec } from './spec';
import type { Zone } from './time-zone';

const HOUR = 3_600_000;

/** A structured calendar compiled to per-field lookup tables, evaluated in one zone. */
export interface CalendarMatcher {
  /** True when `instant` (second resolution) falls on the calendar. */
  matches(instant: number): boolean;
  /** Earliest instant strictly after `after` on the calendar, or undefined (none up to 2100). */
  next(after: number): number | undefined;
}

function table(ranges: Range[] | undefined, size: number, fallback: Range[]): boolean[] {
  const bits = new Array<boolean>(size).fill(false);
  for (const r of ranges && ranges.length > 0 ? ranges : fallback) {
    const step = r.step && r.step > 0 ? r.step : 1;
    const end = r.end !== undefined && r.end >= r.start ? r.end : r.start;
    for (let v = r.start; v <= end && v < size; v += step) if (v >= 0) bits[v] = true;
  }
  return bits;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * Compiles a structured calendar. Empty second/minute/hour mean 0, other empty fields "any".
 * DST: wall times inside a spring-forward gap do not fire; wall times inside a fall-back
 * overlap fire twice (once per occurrence), as the Temporal server does.
 */
export function compileCalendar(cal: StructuredCalendarSpec, zone: Zone): CalendarMatcher {
  const all = (field: keyof typeof FIELD_RULES): Range[] => [
    { start: FIELD_RULES[field].min, end: FIELD_RULES[field].max },
  ];
  const zero = [{ start: 0 }];
  const second = table(cal.second, 60, zero);
  const minute = table(cal.minute, 60, zero);
  const hour = table(cal.hour, 24, zero);
  const dom = table(cal.dayOfMonth, 32, all('dayOfMonth'));
  const month = table(cal.month, 13, all('month'));
  const dowRaw = table(cal.dayOfWeek, 8, all('dayOfWeek'));
  const dow = dowRaw.slice(0, 7);
  if (dowRaw[7]) dow[0] = true;
  const years = cal.year && cal.year.length > 0 ? table(cal.year, MAX_CALENDAR_YEAR + 1, []) : undefined;
  const lastYear = years ? years.lastIndexOf(true) : MAX_CALENDAR_YEAR;
  const yearOk = (y: number): boolean => (years ? years[y] === true : true);

  const wallMatches = (wall: number): boolean => {
    const d = new Date(wall);
    return (
      yearOk(d.getUTCFullYear()) &&
      month[d.getUTCMonth() + 1] === true &&
      dom[d.getUTCDate()] === true &&
      dow[d.getUTCDay()] === true &&
      hour[d.getUTCHours()] === true &&
      minute[d.getUTCMinutes()] === true &&
      second[d.getUTCSeconds()] === true
    );
  };

  /** First matching wall time ≥ `from` (wall ms, whole seconds), searching field by field. */
  const nextWall = (from: number): number | undefined => {
    const d = new Date(from);
    let y = d.getUTCFullYear();
    let mo = d.getUTCMonth() + 1;
    let day = d.getUTCDate();
    let h = d.getUTCHours();
    let mi = d.getUTCMinutes();
    let s = d.getUTCSeconds();
    for (;;) {
      if (s > 59) [mi, s] = [mi + 1, 0];
      if (mi > 59) [h, mi] = [h + 1, 0];
      if (h > 23) [day, h] = [day + 1, 0];
      if (day > daysInMonth(y, mo)) [mo, day] = [mo + 1, 1];
      if (mo > 12) [y, mo] = [y + 1, 1];
      if (y > lastYear) return undefined;
      if (!yearOk(y)) {
        [y, mo, day, h, mi, s] = [y + 1, 1, 1, 0, 0, 0];
      } else if (!month[mo]) {
        [mo, day, h, mi, s] = [mo + 1, 1, 0, 0, 0];
      } else if (!dom[day] || !dow[new Date(Date.UTC(y, mo - 1, day)).getUTCDay()]) {
        [day, h, mi, s] = [day + 1, 0, 0, 0];
      } else if (!hour[h]) {
        [h, mi, s] = [h + 1, 0, 0];
      } else if (!minute[mi]) {
        [mi, s] = [mi + 1, 0];
      } else if (!second[s]) {
        s++;
      } else {
        return Date.UTC(y, mo - 1, day, h, mi, s);
      }
    }
  };

  return {
    matches: (instant) => wallMatches(zone.toWall(Math.floor(instant / 1000) * 1000)),
    next(after) {
      // Wall clock → instant is monotonic except across a fall-back transition: when the
      // offset drops within the next hours, a wall time earlier than now can still occur later
      // (its second copy). Start that much earlier and keep the earliest instant in that window.
      const spread = Math.max(0, zone.offsetAt(after) - zone.offsetAt(after + 3 * HOUR));
      let wall = Math.floor(zone.toWall(after) / 1000) * 1000 - spread;
      let best: number | undefined;
      let bestWall = 0;
      for (;;) {
        const candidate = nextWall(wall);
        if (candidate === undefined) return best;
        if (best !== undefined && candidate > bestWall + spread) return best;
        for (const instant of zone.fromWall(candidate)) {
          if (instant > after && (best === undefined || instant < best)) {
            best = instant;
            bestWall = candidate;
          }
        }
        wall = candidate + 1000;
      }
    },
  };
}
