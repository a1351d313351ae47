import { randomUUID } from 'node:crypto';
import { ScheduleAlreadyRunning, ScheduleNotFoundError, type Client } from '@temporalio/client';
import { encodeMapToPayloads } from '@temporalio/common/lib/internal-non-workflow';
import { IDENTITY_HEADER, type RunIdentity } from '../../workflows/shared/identity';
import { asCaller, identityForwardingClient, identityPayload } from '../identity';
import type { DesiredSchedule } from './desired-schedules';
import { ScheduleSyncError } from './errors';
import { planScheduleSync, type SchedulePlan } from './plan';
import { scheduleMemo, type ExistingSchedule } from './schedule-memo';
import {
  SCHEDULE_OVERLAP,
  scheduleAction,
  scheduleOptions,
  scheduleSearchAttributes,
  scheduleSpec,
} from './schedule-options';

/**
 * Applies a schedule plan through `@temporalio/client`'s `client.schedule` API (list, create,
 * describe, update, delete). Works the same against a Temporal cluster and the devserver.
 */

export interface ScheduleReconcilerDeps {
  /** A client on the namespace the schedules live in (with the platform's data converter). */
  client: Client;
}

/**
 * Who a schedule's runs act for: the schedule itself, in the tenant it runs for. A Temporal
 * frontend in auth mode accepts this header from a sync whose token has `identity:assert`.
 */
export function scheduleIdentity(desired: Pick<DesiredSchedule, 'scheduleId' | 'tenant'>): RunIdentity {
  return { subject: `schedule:${desired.scheduleId}`, tenant: desired.tenant, capabilities: ['capsule:run'] };
}

/** Creates the reconciler over an injected client. */
export function createScheduleReconciler({ client }: ScheduleReconcilerDeps) {
  const creating = identityForwardingClient(client);
  /**
   * Replaces a schedule's memo. The SDK's `handle.update` cannot (its options omit `memo`), so
   * this sends the described schedule back unchanged with the new memo (UpdateScheduleRequest
   * `memo`), guarded by the description's conflict token.
   */
  async function replaceMemo(desired: DesiredSchedule, memo: Record<string, unknown>): Promise<void> {
    const { scheduleId } = desired;
    const { raw } = await client.schedule.getHandle(scheduleId).describe();
    // A schedule created before runs carried identities gets its identity header here.
    const start = raw.schedule?.action?.startWorkflow;
    if (start && !start.header?.fields?.[IDENTITY_HEADER]) {
      start.header = {
        fields: { ...start.header?.fields, [IDENTITY_HEADER]: identityPayload(scheduleIdentity(desired)) },
      };
    }
    await client.workflowService.updateSchedule({
      namespace: client.options.namespace,
      scheduleId,
      schedule: raw.schedule,
      conflictToken: raw.conflictToken,
      identity: client.options.identity,
      requestId: randomUUID(),
      memo: { fields: await encodeMapToPayloads(client.options.loadedDataConverter, memo) },
    });
  }

  async function create(desired: DesiredSchedule): Promise<void> {
    try {
      await asCaller(scheduleIdentity(desired), () => creating.schedule.create(scheduleOptions(desired)));
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      throw new ScheduleSyncError(
        desired.scheduleId,
        'was created by someone else while this sync ran; run `somagent schedules sync` again',
        { cause: err },
      );
    }
  }

  async function update(desired: DesiredSchedule): Promise<void> {
    // Spec, action, policies and attributes are ours; state (an operator's pause) is kept.
    await client.schedule.getHandle(desired.scheduleId).update((current) => ({
      ...current,
      spec: scheduleSpec(desired),
      action: scheduleAction(desired),
      policies: { ...current.policies, overlap: SCHEDULE_OVERLAP },
      searchAttributes: undefined,
      typedSearchAttributes: scheduleSearchAttributes(desired),
    }));
    // Last: an interrupted update leaves the old digest, so the next sync updates again.
    await replaceMemo(desired, { ...scheduleMemo(desired) });
  }

  async function remove(scheduleId: string): Promise<void> {
    try {
      await client.schedule.getHandle(scheduleId).delete();
    } catch (err) {
      // Already gone: what this sync wanted.
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
  }

  async function step(scheduleId: string, what: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (err) {
      if (err instanceof ScheduleSyncError) throw err;
      const message = (err as Error).message;
      // A cluster refuses search attributes nobody registered; the worker registers ours at start.
      const hint = /search attribute/i.test(message)
        ? ' (start the SomaGent worker once: it registers the Somagent* search attributes on the namespace)'
        : '';
      throw new ScheduleSyncError(scheduleId, `${what} failed: ${message}${hint}`, { cause: err });
    }
  }

  /** Every schedule in the namespace (id and memo); the planner picks out the managed ones. */
  async function listExisting(): Promise<ExistingSchedule[]> {
    const existing: ExistingSchedule[] = [];
    for await (const summary of client.schedule.list()) {
      existing.push({ scheduleId: summary.scheduleId, memo: summary.memo });
    }
    return existing;
  }

  /**
   * Applies creates, updates and deletes in that order; conflicts are left alone.
   * @throws {ScheduleSyncError} naming the schedule whose change failed (earlier changes stay:
   *   running sync again converges)
   */
  async function apply(plan: SchedulePlan): Promise<void> {
    for (const d of plan.create) await step(d.scheduleId, 'create', () => create(d));
    for (const { desired } of plan.update) {
      await step(desired.scheduleId, 'update', () => update(desired));
    }
    for (const { scheduleId } of plan.delete) await step(scheduleId, 'delete', () => remove(scheduleId));
  }

  return {
    listExisting,
    apply,
    /** Lists, plans and (unless `dryRun`) applies. */
    async sync(desired: readonly DesiredSchedule[], { dryRun = false } = {}): Promise<SchedulePlan> {
      const plan = planScheduleSync({ desired, existing: await listExisting() });
      if (!dryRun) await apply(plan);
      return plan;
    },
  };
}

export type ScheduleReconciler = ReturnType<typeof createScheduleReconciler>;
