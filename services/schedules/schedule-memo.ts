import { z } from 'zod';
import type { DesiredSchedule } from './desired-schedules';
import { hasManagedPrefix } from './schedule-id';

/**
 * The memo on every schedule SomaGent manages. `managedBy` is the marker: a schedule counts as
 * ours only with the id prefix AND this marker, so a schedule someone else created (even one
 * named like ours) is never updated or deleted. `specDigest` is what sync compares, instead of
 * diffing Temporal's normalized spec back against the trigger.
 */

/** Value of the memo's `managedBy` field on schedules `somagent schedules sync` owns. */
export const MANAGED_BY = 'somagent-schedules-sync';

export const scheduleMemoSchema = z.object({
  managedBy: z.literal(MANAGED_BY),
  /** `id@version`, as the runs' input names it. */
  capsule: z.string().min(1),
  capsuleId: z.string().min(1),
  capsuleVersion: z.string().min(1),
  triggerIndex: z.number().int().min(0),
  specDigest: z.string().min(1),
});

export type ScheduleMemo = z.infer<typeof scheduleMemoSchema>;

/** The memo a desired schedule carries. */
export function scheduleMemo(desired: DesiredSchedule): ScheduleMemo {
  return {
    managedBy: MANAGED_BY,
    capsule: `${desired.capsuleId}@${desired.capsuleVersion}`,
    capsuleId: desired.capsuleId,
    capsuleVersion: desired.capsuleVersion,
    triggerIndex: desired.triggerIndex,
    specDigest: desired.digest,
  };
}

/** A schedule as listed by the server: its id and decoded memo. */
export interface ExistingSchedule {
  scheduleId: string;
  memo?: Record<string, unknown> | undefined;
}

/** The managed memo of a listed schedule; undefined when the schedule is not ours. */
export function managedMemo(schedule: ExistingSchedule): ScheduleMemo | undefined {
  if (!hasManagedPrefix(schedule.scheduleId)) return undefined;
  const parsed = scheduleMemoSchema.safeParse(schedule.memo);
  return parsed.success ? parsed.data : undefined;
}
