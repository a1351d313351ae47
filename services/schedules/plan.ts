import type { DesiredSchedule } from './desired-schedules';
import { ScheduleSyncError } from './errors';
import { MANAGED_BY, managedMemo, type ExistingSchedule, type ScheduleMemo } from './schedule-memo';

/**
 * The pure planner: desired schedules + what the server has → create / update / delete actions.
 * Only managed schedules (prefix and memo marker, see `schedule-memo.ts`) are updated or
 * deleted; a desired id taken by a foreign schedule is a conflict, left alone and reported.
 */

export interface ScheduleUpdate {
  desired: DesiredSchedule;
  current: ScheduleMemo;
}

export interface ScheduleDeletion {
  scheduleId: string;
  current: ScheduleMemo;
}

export interface ScheduleConflict {
  scheduleId: string;
  desired: DesiredSchedule;
  reason: string;
}

export interface SchedulePlan {
  create: DesiredSchedule[];
  update: ScheduleUpdate[];
  delete: ScheduleDeletion[];
  unchanged: DesiredSchedule[];
  conflicts: ScheduleConflict[];
}

/** Plans a sync; every list is ordered by schedule id. */
export function planScheduleSync({
  desired,
  existing,
}: {
  desired: readonly DesiredSchedule[];
  existing: readonly ExistingSchedule[];
}): SchedulePlan {
  const byId = new Map(existing.map((s) => [s.scheduleId, s]));
  const wanted = new Set<string>();
  const plan: SchedulePlan = { create: [], update: [], delete: [], unchanged: [], conflicts: [] };
  for (const d of [...desired].sort((a, b) => a.scheduleId.localeCompare(b.scheduleId))) {
    if (wanted.has(d.scheduleId)) {
      throw new ScheduleSyncError(d.scheduleId, 'desired twice: one capsule version per schedule id');
    }
    wanted.add(d.scheduleId);
    const found = byId.get(d.scheduleId);
    if (!found) {
      plan.create.push(d);
      continue;
    }
    const current = managedMemo(found);
    if (!current) {
      plan.conflicts.push({
        scheduleId: d.scheduleId,
        desired: d,
        reason:
          'a schedule with this id exists but was not created by somagent schedules sync ' +
          `(its memo has no managedBy: "${MANAGED_BY}"); ` +
          'it is left alone: delete or rename it to let sync manage this trigger',
      });
    } else if (current.specDigest === d.digest) {
      plan.unchanged.push(d);
    } else {
      plan.update.push({ desired: d, current });
    }
  }
  const orphans = existing
    .filter((s) => !wanted.has(s.scheduleId))
    .map((s) => ({ scheduleId: s.scheduleId, current: managedMemo(s) }))
    .filter((s): s is ScheduleDeletion => s.current !== undefined)
    .sort((a, b) => a.scheduleId.localeCompare(b.scheduleId));
  plan.delete.push(...orphans);
  return plan;
}

/** Whether applying the plan would change anything. */
export function planChangesNothing(plan: SchedulePlan): boolean {
  return plan.create.length === 0 && plan.update.length === 0 && plan.delete.length === 0;
}
