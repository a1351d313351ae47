/**
 * Ids of the Temporal Schedules `somagent schedules sync` manages. One schedule per (capsule id,
 * trigger index): the index is the trigger's position in the capsule's `triggers` list, so the
 * id reads as `triggers[n]` of that capsule.
 */

/** Every managed schedule id starts with this; together with the memo marker it marks ours. */
export const MANAGED_SCHEDULE_ID_PREFIX = 'somagent-capsule-';

/** `somagent-capsule-<capsuleId>-<n>`; the suffix after the last dash is always the index. */
export function capsuleScheduleId(capsuleId: string, triggerIndex: number): string {
  return `${MANAGED_SCHEDULE_ID_PREFIX}${capsuleId}-${triggerIndex}`;
}

/** Whether an id has the managed prefix (necessary, not sufficient: the memo must say so too). */
export function hasManagedPrefix(scheduleId: string): boolean {
  return scheduleId.startsWith(MANAGED_SCHEDULE_ID_PREFIX);
}
