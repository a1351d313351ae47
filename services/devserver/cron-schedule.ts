import {
  compileScheduleSpec,
  INVALID_SPEC_PREFIX,
  InvalidScheduleSpecError,
  type CompiledScheduleSpec,
} from './schedules';

/** Compiled cron strings; a workflow chain asks for the same string on every run. */
const compiled = new Map<string, CompiledScheduleSpec>();
const MAX_CACHED = 1000;

function compile(cron: string): CompiledScheduleSpec {
  let spec = compiled.get(cron);
  if (!spec) {
    spec = compileScheduleSpec({ cronString: [cron] });
    if (compiled.size >= MAX_CACHED) compiled.clear();
    compiled.set(cron, spec);
  }
  return spec;
}

/**
 * Why a workflow's `cronSchedule` cannot run, or undefined. Parsed by the schedules module (the
 * server's cron dialect: `CRON_TZ=`, `@every`, `@daily`…, 5 fields; 6/7 fields with year/seconds
 * are accepted too).
 */
export function validateCronSchedule(cron: string): string | undefined {
  try {
    if (compile(cron).nextNominal(Date.now()) === undefined)
      return `cronSchedule '${cron}' never fires again`;
    return undefined;
  } catch (err) {
    if (!(err instanceof InvalidScheduleSpecError)) throw err;
    return err.message.slice(INVALID_SPEC_PREFIX.length).replace(/^cronString\[0\]/, 'cronSchedule');
  }
}

/**
 * Delay from `nowMs` to the next cron time of a run that began executing at `executionTimeMs`:
 * the first time after the execution time that is not before now (the server's
 * `GetBackoffForNextSchedule`), or undefined when the schedule has no time left.
 */
export function nextCronDelayMs(cron: string, executionTimeMs: number, nowMs: number): number | undefined {
  const next = compile(cron).nextNominal(Math.max(executionTimeMs, nowMs - 1));
  return next === undefined ? undefined : Math.max(0, next - nowMs);
}
