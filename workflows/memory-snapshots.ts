import { ApplicationFailure } from '@temporalio/common';
import { patched, proxyActivities } from '@temporalio/workflow';
import { STORE_ACTIVITY_OPTIONS } from '../activities/shared/activity-options';
import type { LoadedSnapshot, SnapshotActivities } from '../activities/memory/snapshot-activities';
import type { CapsulePlan } from '../capsules/plan';
import { describeFailure } from './failures';
import type { JsonValue } from './shared/types';

const { loadMemorySnapshots } = proxyActivities<SnapshotActivities>(STORE_ACTIVITY_OPTIONS);

/**
 * Runs that declare memory load it before the first step; runs started before this existed
 * rendered `{{ memory.x }}` against nothing, so their histories must replay without the call.
 */
export const MEMORY_SNAPSHOTS_PATCH = 'capsule-memory-snapshots';

/** What an optional snapshot that is not stored reads as in an instruction. */
export const MISSING_SNAPSHOT_TEXT = '(none)';

export interface RunMemory {
  /** `{{ memory.<id> }}` values. */
  values: Record<string, JsonValue>;
  /** The pinned versions, for the run's status and outcome: id → `snapshot://name@version` + digest. */
  pinned: Record<string, { ref: string; digest: string } | null>;
}

/**
 * Loads the plan's memory snapshots for the run's tenant through `loadMemorySnapshots` (gated
 * like every activity). Schedules nothing when the plan declares no memory, so histories of
 * those runs replay unchanged. A failure (a required snapshot is missing) fails the run
 * non-retryably with the activity's message, which says how to store the snapshot.
 */
export async function loadRunMemory(plan: Pick<CapsulePlan, 'memory'>, tenant: string): Promise<RunMemory> {
  if (plan.memory.length === 0 || !patched(MEMORY_SNAPSHOTS_PATCH)) return { values: {}, pinned: {} };
  let snapshots: Record<string, LoadedSnapshot | null>;
  try {
    ({ snapshots } = await loadMemorySnapshots({
      tenant,
      memory: plan.memory.map((m) => ({ id: m.id, ref: m.ref, required: m.required })),
    }));
  } catch (err) {
    const failure = describeFailure(err);
    throw ApplicationFailure.create({
      type: failure.type,
      message: `memory snapshots were not loaded: ${failure.message}`,
      nonRetryable: true,
    });
  }
  const values: Record<string, JsonValue> = {};
  const pinned: RunMemory['pinned'] = {};
  for (const [id, snapshot] of Object.entries(snapshots)) {
    values[id] = snapshot ? snapshot.content : MISSING_SNAPSHOT_TEXT;
    pinned[id] = snapshot ? { ref: snapshot.ref, digest: snapshot.digest } : null;
  }
  return { values, pinned };
}
