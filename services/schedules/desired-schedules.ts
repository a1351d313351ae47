import { z } from 'zod';
import { contentHash, parseDuration, triggerSchema } from '../../capsules';
import type { JsonValue } from '../../workflows/shared/types';
import { ScheduleSyncError } from './errors';
import { capsuleScheduleId } from './schedule-id';

/**
 * The desired set: one schedule per `schedule` trigger of each capsule's version that should
 * run on a calendar. Pure: the registry read lives in `registry-source.ts`.
 */

/** Bumped when the mapping from a trigger to a Temporal Schedule changes, so sync updates all. */
export const SCHEDULE_MAPPING_VERSION = 1;

/** A published capsule version, as far as scheduling cares. */
export interface ScheduledCapsule {
  id: string;
  version: string;
  /** The capsule document; only `triggers` is read (and parsed here). */
  document: unknown;
}

/** When a schedule fires: a cron expression in a time zone, or a fixed interval. */
export type DesiredSpec =
  { kind: 'cron'; cron: string; timezone: string } | { kind: 'interval'; every: string; everyMs: number };

/** One Temporal Schedule SomaGent should have. */
export interface DesiredSchedule {
  scheduleId: string;
  capsuleId: string;
  capsuleVersion: string;
  /** Position in the capsule's `triggers` list. */
  triggerIndex: number;
  spec: DesiredSpec;
  /** The trigger's `params`, passed as the run's parameters. */
  params: { [key: string]: JsonValue };
  taskQueue: string;
  tenant: string;
  /** Digest of everything above: equal digests mean the schedule needs no update. */
  digest: string;
}

export interface DesiredScheduleOptions {
  /** Task queue the scheduled runs start on (the worker's). */
  taskQueue: string;
  /** Tenant of the scheduled runs. */
  tenant: string;
}

const documentTriggers = z.object({ triggers: z.array(z.unknown()).optional() });

function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
}

/**
 * The schedules one capsule version asks for.
 * @throws {ScheduleSyncError} naming the field, when a trigger does not parse
 */
export function desiredSchedulesOf(
  capsule: ScheduledCapsule,
  { taskQueue, tenant }: DesiredScheduleOptions,
): DesiredSchedule[] {
  const ref = `${capsule.id}@${capsule.version}`;
  const doc = documentTriggers.safeParse(capsule.document);
  if (!doc.success) {
    throw new ScheduleSyncError(`${ref} triggers`, 'expected a list of triggers');
  }
  const desired: DesiredSchedule[] = [];
  (doc.data.triggers ?? []).forEach((raw, triggerIndex) => {
    const parsed = triggerSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ScheduleSyncError(`${ref} triggers[${triggerIndex}]${fieldPath(issue.path)}`, issue.message);
    }
    const trigger = parsed.data;
    if (trigger.type !== 'schedule') return;
    let spec: DesiredSpec;
    if (trigger.cron !== undefined) {
      spec = { kind: 'cron', cron: trigger.cron, timezone: trigger.timezone };
    } else {
      // The schema guarantees exactly one of cron / interval, and a positive duration.
      const every = trigger.interval!;
      spec = { kind: 'interval', every, everyMs: parseDuration(every)! };
    }
    const scheduleId = capsuleScheduleId(capsule.id, triggerIndex);
    const params = (trigger.params ?? {}) as { [key: string]: JsonValue };
    const identity = {
      scheduleId,
      capsuleId: capsule.id,
      capsuleVersion: capsule.version,
      triggerIndex,
      spec,
      params,
      taskQueue,
      tenant,
    };
    desired.push({
      ...identity,
      digest: contentHash({ mapping: SCHEDULE_MAPPING_VERSION, ...identity }),
    });
  });
  return desired;
}

/** The schedules every capsule version asks for, ordered by schedule id. */
export function desiredSchedules(
  capsules: readonly ScheduledCapsule[],
  options: DesiredScheduleOptions,
): DesiredSchedule[] {
  return capsules
    .flatMap((c) => desiredSchedulesOf(c, options))
    .sort((a, b) => a.scheduleId.localeCompare(b.scheduleId));
}
