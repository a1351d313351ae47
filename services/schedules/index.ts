/**
 * Temporal Schedules from capsules' `schedule` triggers: the desired set (pure), the planner
 * (pure), and the reconciler that applies a plan over `@temporalio/client`. `somagent schedules
 * sync` (services/cli/schedule-commands.ts) wires them to the registry and a client.
 */
export {
  desiredSchedules,
  desiredSchedulesOf,
  SCHEDULE_MAPPING_VERSION,
  type DesiredSchedule,
  type DesiredScheduleOptions,
  type DesiredSpec,
  type ScheduledCapsule,
} from './desired-schedules';
export { ScheduleSyncError } from './errors';
export {
  planChangesNothing,
  planScheduleSync,
  type ScheduleConflict,
  type ScheduleDeletion,
  type SchedulePlan,
  type ScheduleUpdate,
} from './plan';
export { createScheduleReconciler, type ScheduleReconciler, type ScheduleReconcilerDeps } from './reconciler';
export { scheduledCapsules } from './registry-source';
export { formatSyncReport, syncReport, type SyncReport, type SyncReportEntry } from './report';
export { capsuleScheduleId, hasManagedPrefix, MANAGED_SCHEDULE_ID_PREFIX } from './schedule-id';
export {
  MANAGED_BY,
  managedMemo,
  scheduleMemo,
  scheduleMemoSchema,
  type ExistingSchedule,
  type ScheduleMemo,
} from './schedule-memo';
export {
  SCHEDULE_OVERLAP,
  scheduleAction,
  scheduleOptions,
  scheduledRunInput,
  scheduleSearchAttributes,
  scheduleSpec,
} from './schedule-options';
export { syncCapsuleSchedules } from './sync';
