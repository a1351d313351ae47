import type { CompiledScheduleSpec, FireTime } from './next-fire-times';

/** Result of looking back over a downtime. */
export interface CatchUp {
  /** Times to act on now, oldest first (apply the overlap policy to each). */
  due: FireTime[];
  /** Times older than the catch-up window: add to ScheduleInfo.missedCatchupWindow. */
  missedCatchupWindow: number;
  /** True when more than `limit` times were due; the rest were counted as missed. */
  truncated: boolean;
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
  return { due, missedCatchupWindow: missed, truncated };
}
