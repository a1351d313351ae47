import type { Pool } from 'pg';
import { BUILTIN_LIBRARY_DIR, createCapsuleRegistry, loadLibrary } from '../../capsules';

/**
 * Publishes the shipped capsule library (personas, then capsules) to the registry, so admins can
 * start any of them by `id@range`. Publishing is idempotent (same content is a no-op); composite
 * capsules need the capsules they reference first, so capsules are published in passes until no
 * more go through.
 *
 * @returns how many documents were newly published and the total in the library.
 */
export async function publishLibrary(pool: Pool): Promise<{ published: number; total: number }> {
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
  return { published, total: library.personas.length + library.capsules.length };
}
