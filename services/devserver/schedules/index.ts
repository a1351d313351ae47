export {
  calendarToStructured,
  cronToStructuredCalendar,
  MAX_CALENDAR_YEAR,
  MIN_CALENDAR_YEAR,
  parseCalendarField,
  type ParsedCron,
} from './calendar';
export { compileCalendar, type CalendarMatcher } from './calendar-matcher';
export { canonicalizeSpec, MAX_SPEC_ENTRIES, validateScheduleSpec } from './canonicalize';
export { backfillTimes, catchUp, type CatchUp } from './catch-up';
export { parseDuration } from './duration';
export { INVALID_SPEC_PREFIX, InvalidScheduleSpecError } from './errors';
export { deterministicJitter } from './jitter';
export {
  compileScheduleSpec,
  nextFireTimes,
  type CompiledScheduleSpec,
  type FireTime,
} from './next-fire-times';
export {
  decideOverlap,
  OVERLAP_POLICIES,
  parseOverlapPolicy,
  type OverlapAction,
  type OverlapPolicy,
  type OverlapState,
} from './overlap';
export {
  applyPolicyDefaults,
  DEFAULT_CATCHUP_WINDOW_MS,
  MIN_CATCHUP_WINDOW_MS,
  type SchedulePolicies,
} from './policies';
export {
  scheduledRunSearchAttributes,
  scheduledWorkflowId,
  type ScheduledRunSearchAttribute,
} from './scheduled-run';
export type {
  CalendarSpec,
  CanonicalScheduleSpec,
  IntervalSpec,
  Range,
  ScheduleSpec,
  StructuredCalendarSpec,
} from './spec';
export { createZone, isValidTimeZone, type Zone } from './time-zone';
