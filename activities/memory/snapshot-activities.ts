import { z } from 'zod';
import { formatSnapshotRef, parseSnapshotRef } from '../../capsules/snapshot-ref';
import type { JsonValue } from '../../workflows/shared/types';
import { ERROR_TYPES } from '../shared/error-types';
import { failure, parseInput } from '../shared/failures';
import type { SnapshotStore } from './snapshot-store';

/** Activity type that loads a run's memory snapshots (the workflow and the gate name it). */
export const LOAD_SNAPSHOTS_ACTIVITY = 'loadMemorySnapshots';

export const loadMemorySnapshotsInputSchema = z.strictObject({
  tenant: z.string().min(1),
  /** The capsule's `memory` declarations. */
  memory: z
    .array(
      z.object({
        id: z.string().min(1),
        ref: z.string().min(1),
        required: z.boolean().default(true),
      }),
    )
    .min(1)
    .max(50),
});
export type LoadMemorySnapshotsInput = z.input<typeof loadMemorySnapshotsInputSchema>;

/** One loaded snapshot, pinned: the version `latest` resolved to and the digest of its content. */
export interface LoadedSnapshot {
  ref: string;
  version: string;
  digest: string;
  content: JsonValue;
}

export interface LoadMemorySnapshotsResult {
  /** By memory id. An optional snapshot that is not stored is `null`. */
  snapshots: Record<string, LoadedSnapshot | null>;
}

/**
 * `loadMemorySnapshots`: reads a run's memory snapshots for its tenant at run start, so every
 * step sees the same versions (`latest` is resolved once and recorded with its digest). A
 * required snapshot that is not stored fails the run up front, naming every missing one and the
 * command that stores it; an optional one comes back as `null`. Reads only: retrying is safe.
 */
export function createSnapshotActivities({ store }: { store: SnapshotStore }) {
  return {
    async loadMemorySnapshots(rawInput: LoadMemorySnapshotsInput): Promise<LoadMemorySnapshotsResult> {
      const input = parseInput(loadMemorySnapshotsInputSchema, rawInput, LOAD_SNAPSHOTS_ACTIVITY);
      const snapshots: Record<string, LoadedSnapshot | null> = {};
      const missing: string[] = [];
      for (const [index, memory] of input.memory.entries()) {
        const ref = parseSnapshotRef(memory.ref);
        if ('problem' in ref) {
          throw failure(
            ERROR_TYPES.MemorySnapshotNotFound,
            `memory.${index}.ref (${memory.id}): ${ref.problem}`,
          );
        }
        const found = await store.get(input.tenant, ref);
        if (found) {
          snapshots[memory.id] = {
            ref: formatSnapshotRef({ name: found.name, version: found.version }),
            version: found.version,
            digest: found.digest,
            content: found.content,
          };
        } else if (memory.required) {
          missing.push(`${memory.id} (${memory.ref})`);
        } else {
          snapshots[memory.id] = null;
        }
      }
      if (missing.length > 0) {
        throw failure(
          ERROR_TYPES.MemorySnapshotNotFound,
          `tenant "${input.tenant}" has no memory snapshot for ${missing.join(', ')}; store one with ` +
            `\`npx somagent memory put <snapshot://name@version> --file <file> --tenant ${input.tenant}\` ` +
            'or mark the memory `required: false`',
        );
      }
      return { snapshots };
    },
  };
}

export type SnapshotActivities = ReturnType<typeof createSnapshotActivities>;
