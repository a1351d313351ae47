import {
  ScheduleOverlapPolicy,
  type ScheduleOptions,
  type ScheduleOptionsStartWorkflowAction,
  type ScheduleSpec,
} from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { WORKFLOW_TYPES } from '../../workflows/shared/constants';
import { SEARCH_ATTRIBUTES } from '../../workflows/shared/search-attributes';
import type { CapsuleWorkflowInput } from '../../workflows/shared/types';
import type { DesiredSchedule } from './desired-schedules';
import { scheduleMemo } from './schedule-memo';

/**
 * How a desired schedule looks as `@temporalio/client` schedule options: the spec, the
 * `capsuleWorkflow` start action, the search attributes (on the schedule and on every run it
 * starts) and the memo.
 */

/**
 * A run still going when the next time comes: that time is skipped, never a second run of the
 * same capsule on top.
 */
export const SCHEDULE_OVERLAP = ScheduleOverlapPolicy.SKIP;

/** The input every run the schedule starts gets; plain JSON, as the Web UI shows it. */
export function scheduledRunInput(desired: DesiredSchedule): CapsuleWorkflowInput {
  return {
    capsule: `${desired.capsuleId}@${desired.capsuleVersion}`,
    params: desired.params,
    trigger: { kind: 'schedule', scheduleId: desired.scheduleId },
    tenant: desired.tenant,
  };
}

/** Capsule id, version, tenant and trigger kind: on the schedule and on the runs it starts. */
export function scheduleSearchAttributes(desired: DesiredSchedule): SearchAttributePair[] {
  return [
    { key: SEARCH_ATTRIBUTES.capsuleId, value: desired.capsuleId },
    { key: SEARCH_ATTRIBUTES.capsuleVersion, value: desired.capsuleVersion },
    { key: SEARCH_ATTRIBUTES.tenant, value: desired.tenant },
    { key: SEARCH_ATTRIBUTES.trigger, value: 'schedule' },
  ];
}

export function scheduleSpec(desired: DesiredSchedule): ScheduleSpec {
  return desired.spec.kind === 'cron'
    ? { cronExpressions: [desired.spec.cron], timezone: desired.spec.timezone }
    : { intervals: [{ every: desired.spec.everyMs }] };
}

/** `capsuleWorkflow`'s signature, for the action's typed `args`. */
type CapsuleWorkflow = (input: CapsuleWorkflowInput) => Promise<unknown>;

export function scheduleAction(
  desired: DesiredSchedule,
): ScheduleOptionsStartWorkflowAction<CapsuleWorkflow> {
  return {
    type: 'startWorkflow',
    workflowType: WORKFLOW_TYPES.capsule,
    // Temporal appends each run's nominal time to this id.
    workflowId: desired.scheduleId,
    taskQueue: desired.taskQueue,
    args: [scheduledRunInput(desired)],
    typedSearchAttributes: scheduleSearchAttributes(desired),
    memo: { capsule: `${desired.capsuleId}@${desired.capsuleVersion}`, scheduleId: desired.scheduleId },
  };
}

/** Everything `client.schedule.create` needs. */
export function scheduleOptions(desired: DesiredSchedule): ScheduleOptions {
  return {
    scheduleId: desired.scheduleId,
    spec: scheduleSpec(desired),
    action: scheduleAction(desired),
    policies: { overlap: SCHEDULE_OVERLAP },
    typedSearchAttributes: scheduleSearchAttributes(desired),
    memo: { ...scheduleMemo(desired) },
  };
}
