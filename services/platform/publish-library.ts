import path from 'node:path';
import type { Pool } from 'pg';
import { createSnapshotStore, SnapshotConflictError } from '../../activities/memory/snapshot-store';
import { BUILTIN_LIBRARY_DIR, createCapsuleRegistry, loadLibrary } from '../../capsules';
import { loadSnapshotDocuments } from '../../capsules/snapshot-document';

/** Tenants the sample memory snapshots are stored for: `npm start`'s sample run and the CLI default. */
export const SAMPLE_SNAPSHOT_TENANTS = ['local', 'default'] as const;

/**
 * Publishes the shipped capsule library (personas, then capsules) to the registry, so admins can
 * start any of them by `id@range`. Publishing is idempotent (same content is a no-op); composite
 * capsules need the capsules they reference first, so capsules are published in passes until no
 * more go through.
 *
 * The sample memory snapshots (`library/snapshots/`) the library's capsules read are stored for
 * `snapshotTenants`, unless the tenant already has that version.
 *
 * @returns how many documents were newly published and the total in the library.
 */
export async function publishLibrary(
  pool: Pool,
  { snapshotTenants = SAMPLE_SNAPSHOT_TENANTS }: { snapshotTenants?: readonly string[] } = {},
): Promise<{ published: number; total: number; snapshots: number }> {
  const library = await loadLibrary([BUILTIN_LIBRARY_DIR]);
  const registry = createCapsuleRegistry({ pool });
  let published = 0;
  for (const persona of library.personas) {
    if ((await registry.publishPersona(persona.value)).status === 'published') published++;
  }
  let pending = library.capsules.map((c) => c.value);
  while (pending.length > 0) {
    const failed: typeof pending = [];
    let lastError: unknown;
    for (const capsule of pending) {
      try {
        if ((await registry.publishCapsule(capsule)).status === 'published') published++;
      } catch (err) {
        failed.push(capsule);
        lastError = err;
      }
    }
    if (failed.length === pending.length) throw lastError;
    pending = failed;
  }
  const snapshots = createSnapshotStore({ pool });
  let stored = 0;
  for (const doc of await loadSnapshotDocuments(path.join(BUILTIN_LIBRARY_DIR, 'snapshots'))) {
    for (const tenant of snapshotTenants) {
      try {
        const { created } = await snapshots.put({
          tenant,
          ...doc.ref,
          content: doc.content,
          createdBy: 'somagent library',
          ...(doc.description ? { description: doc.description } : {}),
        });
        if (created) stored++;
      } catch (err) {
        // The tenant stored its own content under the sample's version: theirs wins.
        if (!(err instanceof SnapshotConflictError)) throw err;
      }
    }
  }
  return { published, total: library.personas.length + library.capsules.length, snapshots: stored };
}
