import semver from 'semver';
import { z } from 'zod';

/**
 * Shared field types of capsule and persona documents: identifiers, references, durations, cron
 * expressions. Sandbox-safe (zod and semver are pure JS).
 */

export const ID_PATTERN = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*$/;
export const TOOL_ID_PATTERN = /^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)*$/;
export const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const STEP_ID_PATTERN = /^[a-z][a-z0-9_-]*$/;

/** Built-in tool ids every worker provides (cross-team contract). */
export const BUILTIN_TOOLS = [
  'workspace.read',
  'workspace.write',
  'workspace.list',
  'http.request',
  'memory.recall',
  'memory.remember',
  'delegate',
  'finish',
] as const;

export const documentId = z
  .string()
  .regex(ID_PATTERN, { message: 'expected a lowercase dotted id such as "analytics.weekly-report"' });

export const semverVersion = z
  .string()
  .refine((v) => semver.valid(v) === v, { message: 'expected a semantic version such as "1.2.0"' });

export const toolId = z
  .string()
  .regex(TOOL_ID_PATTERN, { message: 'expected a tool id such as "workspace.read" or "http.request"' });

export const identifier = z.string().regex(NAME_PATTERN, {
  message: 'expected an identifier (letters, digits, underscore; not starting with a digit)',
});

export const stepId = z
  .string()
  .regex(STEP_ID_PATTERN, { message: 'expected a lowercase step id such as "draft-report"' });

/** Splits `id@range` (range defaults to `*`). */
export function splitReference(ref: string): { id: string; range: string } {
  const at = ref.indexOf('@');
  return at < 0 ? { id: ref, range: '*' } : { id: ref.slice(0, at), range: ref.slice(at + 1) };
}

/** A reference `id@semver-range`, e.g. `engineer@^1.2`. */
export const reference = z.string().superRefine((ref, ctx) => {
  const { id, range } = splitReference(ref);
  if (!ID_PATTERN.test(id)) {
    ctx.addIssue({
      code: 'custom',
      message: `"${id}" is not a valid id; expected "id@range" such as "engineer@^1"`,
    });
  } else if (!ref.includes('@') || semver.validRange(range) === null) {
    ctx.addIssue({
      code: 'custom',
      message: `"${ref}" needs a semver range after "@", such as "${id}@^1" or "${id}@1.2.0"`,
    });
  }
});

const DURATION_PART = /(\d+)(ms|s|m|h|d)/g;
const DURATION = /^(\d+(ms|s|m|h|d))+$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `90s`, `15m`, `1h30m`, `2d` to milliseconds; `undefined` if malformed. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(DURATION_PART)) total += Number(m[1]) * UNIT_MS[m[2]!]!;
  return total;
}

export const duration = z.string().refine((v) => (parseDuration(v) ?? 0) > 0, {
  message: 'expected a positive duration such as "30s", "15m", "1h30m" or "2d"',
});

const CRON_FIELDS: ReadonlyArray<{ name: string; min: number; max: number; names?: string[] }> = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  {
    name: 'month',
    min: 1,
    max: 12,
    names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
  },
  { name: 'day of week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
];

/** Checks a 5-field cron expression; returns a message naming the bad field, or undefined. */
export function cronProblem(expr: string): string | undefined {
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5) {
    return `expected 5 cron fields "minute hour day-of-month month day-of-week" (e.g. "0 9 * * MON"), got ${fields.length}`;
  }
  for (let i = 0; i < 5; i++) {
    const spec = CRON_FIELDS[i]!;
    const value = (token: string): number | undefined => {
      const named = spec.names?.indexOf(token.toUpperCase()) ?? -1;
      if (named >= 0) return named + (spec.name === 'month' ? 1 : 0);
      return /^\d+$/.test(token) ? Number(token) : undefined;
    };
    for (const part of fields[i]!.split(',')) {
      const [base, step] = part.split('/');
      if (step !== undefined && !/^[1-9]\d*$/.test(step))
        return `cron ${spec.name} step "${step}" must be a positive number`;
      if (base === '*') continue;
      const [lo, hi] = base!.split('-');
      for (const token of hi === undefined ? [lo!] : [lo!, hi]) {
        const n = value(token);
        if (n === undefined || n < spec.min || n > spec.max) {
          return `cron ${spec.name} "${token}" is out of range ${spec.min}-${spec.max}`;
        }
      }
    }
  }
  return undefined;
}

export const cronExpression = z.string().superRefine((expr, ctx) => {
  const problem = cronProblem(expr);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** True when the runtime knows the IANA time zone. */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export const timeZone = z
  .string()
  .refine(isTimeZone, { message: 'expected an IANA time zone such as "UTC" or "Europe/Berlin"' });

/** `provider/model`, e.g. `openai/gpt-4.1-mini` or `anthropic/claude-sonnet-4-5`. */
export const modelRef = z.string().regex(/^[a-z0-9][a-z0-9_-]*\/[A-Za-z0-9][\w.:-]*$/, {
  message: 'expected "provider/model" such as "openai/gpt-4.1-mini"',
});
