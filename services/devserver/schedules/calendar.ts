import { parseDuration } from './duration';
import { InvalidScheduleSpecError } from './errors';
import type { CalendarSpec, IntervalSpec, Range, StructuredCalendarSpec } from './spec';

/** Calendar years the scheduler recognises (as the Temporal server does). */
export const MIN_CALENDAR_YEAR = 2000;
export const MAX_CALENDAR_YEAR = 2100;

type FieldName = Exclude<keyof CalendarSpec, 'comment'>;
type NameMode = 'int' | 'month' | 'dow';

interface FieldRule {
  min: number;
  max: number;
  /** Value used when the string field is empty. */
  empty: string;
  names: NameMode;
}

/** Bounds and defaults per field; day of week allows 7 for Sunday. */
export const FIELD_RULES: Readonly<Record<FieldName, FieldRule>> = {
  second: { min: 0, max: 59, empty: '0', names: 'int' },
  minute: { min: 0, max: 59, empty: '0', names: 'int' },
  hour: { min: 0, max: 23, empty: '0', names: 'int' },
  dayOfMonth: { min: 1, max: 31, empty: '*', names: 'int' },
  month: { min: 1, max: 12, empty: '*', names: 'month' },
  year: { min: MIN_CALENDAR_YEAR, max: MAX_CALENDAR_YEAR, empty: '*', names: 'int' },
  dayOfWeek: { min: 0, max: 7, empty: '*', names: 'dow' },
};

const FIELDS = Object.keys(FIELD_RULES) as FieldName[];

const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];
const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

function parseValue(text: string, rule: FieldRule, min: number, path: string): number {
  const lower = text.toLowerCase();
  // Month names need 3 letters, day names 2, matched as prefixes ("Mon", "tu", "sept").
  if (rule.names === 'month' && lower.length >= 3) {
    const i = MONTHS.findIndex((m) => m.startsWith(lower));
    if (i >= 0) return i + 1;
  }
  if (rule.names === 'dow' && lower.length >= 2) {
    const i = DAYS.findIndex((d) => d.startsWith(lower));
    if (i >= 0) return i;
  }
  if (!/^\d+$/.test(text)) {
    throw new InvalidScheduleSpecError(
      path,
      `'${text}' is not a number${rule.names === 'int' ? '' : ' or name'}`,
    );
  }
  const value = Number(text);
  if (value < min || value > rule.max) {
    throw new InvalidScheduleSpecError(path, `${value} is out of range ${min}-${rule.max}`);
  }
  return value;
}

/**
 * Parses one calendar field string ("*", "5", "1-5", "1-5/2", "3/5", "*\/15", "MON-FRI", lists
 * of those) to ranges. A single value with a step runs to the field's maximum.
 */
export function parseCalendarField(
  text: string | undefined,
  field: FieldName,
  path: string = field,
): Range[] {
  const rule = FIELD_RULES[field];
  const source = (text ?? '').trim() || rule.empty;
  return source.split(',').flatMap((raw) => {
    let part = raw.trim();
    let step = 1;
    const slash = part.split('/');
    if (slash.length > 2) throw new InvalidScheduleSpecError(path, `'${raw}' has more than one '/'`);
    if (slash.length === 2) {
      part = slash[0]!;
      if (!/^\d+$/.test(slash[1]!) || Number(slash[1]) < 1) {
        throw new InvalidScheduleSpecError(path, `step in '${raw}' must be a positive integer`);
      }
      step = Number(slash[1]);
    }
    let start = rule.min;
    let end = rule.max;
    if (field === 'dayOfWeek' && part === '*') end = 6;
    if (part !== '*') {
      const dash = part.split('-');
      if (dash.length > 2) throw new InvalidScheduleSpecError(path, `'${raw}' has more than one '-'`);
      start = parseValue(dash[0]!, rule, rule.min, path);
      if (dash.length === 2) end = parseValue(dash[1]!, rule, start, path);
      else if (slash.length === 1) end = start;
    }
    if (field === 'dayOfWeek' && end === 7) {
      // 7 is Sunday in cron, but clients decode day numbers 0-6 only: describe it as 0.
      if (start === 7) return [compactRange(0, 0, 1)];
      const upTo6 = compactRange(start, 6, step);
      return (7 - start) % step === 0 ? [upTo6, { start: 0 }] : [upTo6];
    }
    return [compactRange(start, end, step)];
  });
}

function compactRange(start: number, end: number, step: number): Range {
  // Proto defaults (end 0 = start, step 0 = 1) keep described specs small, like the server's.
  const range: Range = { start };
  if (end !== start) range.end = end;
  if (step !== 1) range.step = step;
  return range;
}

/** CalendarSpec (string fields) → StructuredCalendarSpec; `path` prefixes error field names. */
export function calendarToStructured(calendar: CalendarSpec, path = 'calendar'): StructuredCalendarSpec {
  const out: StructuredCalendarSpec = {};
  for (const field of FIELDS) out[field] = parseCalendarField(calendar[field], field, `${path}.${field}`);
  if (calendar.comment) out.comment = calendar.comment;
  return out;
}

const PREDEFINED: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** A cron string compiled the way DescribeSchedule shows it. */
export interface ParsedCron {
  /** Set for calendar crons. */
  structuredCalendar?: StructuredCalendarSpec | undefined;
  /** Set for `@every <interval>[/<phase>]`. */
  interval?: IntervalSpec | undefined;
  /** From a `CRON_TZ=` / `TZ=` prefix. */
  timezoneName?: string | undefined;
}

/**
 * Compiles a cron string as the Temporal server does: optional `CRON_TZ=<zone> ` or `TZ=<zone> `
 * prefix; `@every 90m[/15m]` → interval; `@yearly|@annually|@monthly|@weekly|@daily|@midnight|
 * @hourly`; 5 fields (minute hour day-of-month month day-of-week), 6 (… year) or 7 (second …
 * year). A trailing `# text` becomes the comment.
 */
export function cronToStructuredCalendar(cron: string, path = 'cronString'): ParsedCron {
  let rest = cron.trim();
  let comment: string | undefined;
  const hash = rest.indexOf('#');
  if (hash >= 0) {
    comment = rest.slice(hash + 1).trim() || undefined;
    rest = rest.slice(0, hash).trim();
  }
  let timezoneName: string | undefined;
  const tz = /^(?:CRON_TZ|TZ)=(\S*)\s+(.*)$/s.exec(rest);
  if (tz) {
    timezoneName = tz[1];
    rest = tz[2]!.trim();
  } else if (/^(?:CRON_TZ|TZ)=/.test(rest)) {
    throw new InvalidScheduleSpecError(path, `'${cron}' has a time zone but no schedule`);
  }
  if (rest.startsWith('@every')) {
    const [intervalText = '', phaseText] = rest.slice('@every'.length).trim().split('/');
    const intervalMs = parseDuration(intervalText);
    const phaseMs = phaseText === undefined ? 0 : parseDuration(phaseText);
    if (!intervalMs || phaseMs === undefined) {
      throw new InvalidScheduleSpecError(
        path,
        `'${cron}' needs '@every <duration>[/<phase>]', e.g. '@every 90m/15m'`,
      );
    }
    return { interval: phaseMs ? { intervalMs, phaseMs } : { intervalMs }, timezoneName };
  }
  const fields = (PREDEFINED[rest] ?? rest).split(/\s+/).filter(Boolean);
  const cal: CalendarSpec = {};
  if (fields.length === 5) [cal.minute, cal.hour, cal.dayOfMonth, cal.month, cal.dayOfWeek] = fields;
  else if (fields.length === 6)
    [cal.minute, cal.hour, cal.dayOfMonth, cal.month, cal.dayOfWeek, cal.year] = fields;
  else if (fields.length === 7) {
    [cal.second, cal.minute, cal.hour, cal.dayOfMonth, cal.month, cal.dayOfWeek, cal.year] = fields;
  } else {
    throw new InvalidScheduleSpecError(
      path,
      `'${cron}' has ${fields.length} fields; use 5 (minute hour day-of-month month day-of-week), 6 (… year) or 7 (second … year)`,
    );
  }
  if (comment) cal.comment = comment;
  return { structuredCalendar: calendarToStructured(cal, path), timezoneName };
}
