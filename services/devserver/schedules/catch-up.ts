import type { CompiledScheduleSpec, FireTime } from './next-fire-times';

/** Result of looking back over a downtime. */
export interface CatchUp {
  /** Times to act on now, oldest first (apply the overlap policy to each). */
  due: FireTime[];
  /** Times older than the catch-up window: add to ScheduleInfo.missedCatchupWindow. */
  missedCatchupWindow: number;
  /** True when more than `limit` times were due; the rest were counted as missed. */
  truncated: boolean;
  /** The new cursor: nominal time of the last fire time looked at (due or missed). */
  lastProcessed: number;
}

/**
 * Which fire times in (`lastProcessed`, `now`] to run after downtime: those whose actual time
 * is within `catchupWindowMs` of `now`; older ones are missed. At most `limit` are returned
 * (the most recent ones), so a long outage of a per-second schedule cannot flood the engine.
 */
export function catchUp(
  spec: CompiledScheduleSpec,
  options: {
    scheduleId: string;
    lastProcessed: number;
    now: number;
    catchupWindowMs: number;
    limit?: number;
  },
): CatchUp {
  const limit = options.limit ?? 1000;
  const due: FireTime[] = [];
  let missed = 0;
  let truncated = false;
  let cursor = options.lastProcessed;
  for (;;) {
    const fire = spec.next(cursor, options.scheduleId);
    if (!fire || fire.actualTime > options.now) break;
    cursor = fire.nominalTime;
    if (options.now - fire.actualTime > options.catchupWindowMs) {
      missed++;
      continue;
    }
    due.push(fire);
    if (due.length > limit) {
      due.shift();
      missed++;
      truncated = true;
    }
  }
  return { due, missedCatchupWindow: missed, truncated, lastProcessed: cursor };
}

/**
 * PatchSchedule.backfillRequest: the fire times with nominal time in [`startTime`, `endTime`],
 * oldest first, at most `limit` (default 1000; `truncated` says more existed). Backfills ignore
 * the catch-up window; apply the request's overlap policy to each.
 */
export function backfillTimes(
  spec: CompiledScheduleSpec,
  options: { scheduleId: string; startTime: number; endTime: number; limit?: number },
): { times: FireTime[]; truncated: boolean } {
  const limit = options.limit ?? 1000;
  const times: FireTime[] = [];
  let cursor = options.startTime - 1;
  for (;;) {
    const fire = spec.next(cursor, options.scheduleId);
    if (!fire || fire.nominalTime > options.endTime) return { times, truncated: false };
    if (times.length === limit) return { times, truncated: true };
    times.push(fire);
    cursor = fire.nominalTime;
  }
}
