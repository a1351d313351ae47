/**
 * Plain-data mirror of temporal.api.schedule.v1 specs. Times are epoch milliseconds and
 * durations milliseconds; the engine converts protobuf Timestamp/Duration at the edge.
 */

/** proto Range: `start..end` (end 0 or < start means just `start`) by `step` (0 means 1). */
export interface Range {
  start: number;
  end?: number | undefined;
  step?: number | undefined;
}

/**
 * proto StructuredCalendarSpec. Empty `second`/`minute`/`hour` mean 0; empty `dayOfMonth`,
 * `month`, `year`, `dayOfWeek` mean "any". Day of week: 0 (or 7) is Sunday.
 */
export interface StructuredCalendarSpec {
  second?: Range[] | undefined;
  minute?: Range[] | undefined;
  hour?: Range[] | undefined;
  dayOfMonth?: Range[] | undefined;
  month?: Range[] | undefined;
  year?: Range[] | undefined;
  dayOfWeek?: Range[] | undefined;
  comment?: string | undefined;
}

/** proto CalendarSpec: cron-like strings per field ("*\/5", "MON-FRI", "1,15"). */
export interface CalendarSpec {
  second?: string | undefined;
  minute?: string | undefined;
  hour?: string | undefined;
  dayOfMonth?: string | undefined;
  month?: string | undefined;
  year?: string | undefined;
  dayOfWeek?: string | undefined;
  comment?: string | undefined;
}

/** proto IntervalSpec: fires at `k·interval + phase` after the Unix epoch. */
export interface IntervalSpec {
  intervalMs: number;
  phaseMs?: number | undefined;
}

/** proto ScheduleSpec. */
export interface ScheduleSpec {
  structuredCalendar?: StructuredCalendarSpec[] | undefined;
  cronString?: string[] | undefined;
  calendar?: CalendarSpec[] | undefined;
  interval?: IntervalSpec[] | undefined;
  excludeCalendar?: CalendarSpec[] | undefined;
  excludeStructuredCalendar?: StructuredCalendarSpec[] | undefined;
  startTime?: number | undefined;
  endTime?: number | undefined;
  jitterMs?: number | undefined;
  timezoneName?: string | undefined;
}

/**
 * A spec as DescribeSchedule returns it: cron strings and string calendars compiled into
 * `structuredCalendar` / `interval` (server `canonicalizeSpec`).
 */
export interface CanonicalScheduleSpec {
  structuredCalendar: StructuredCalendarSpec[];
  interval: IntervalSpec[];
  excludeStructuredCalendar: StructuredCalendarSpec[];
  startTime?: number | undefined;
  endTime?: number | undefined;
  jitterMs?: number | undefined;
  timezoneName?: string | undefined;
}
