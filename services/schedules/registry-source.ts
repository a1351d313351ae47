import type { CapsuleRegistry } from '../../capsules';
import type { ScheduledCapsule } from './desired-schedules';

/**
 * The capsule versions schedules follow: for every published capsule with a live version, its
 * latest non-deprecated version (what `id@*` resolves to). A capsule whose every version is
 * deprecated is left out, so its schedules become orphans and sync deletes them.
 */
export async function scheduledCapsules(
  registry: Pick<CapsuleRegistry, 'list' | 'show'>,
): Promise<ScheduledCapsule[]> {
  const capsules: ScheduledCapsule[] = [];
  for (const entry of await registry.list('capsule')) {
    if (entry.deprecated) continue;
    const record = await registry.show('capsule', `${entry.id}@${entry.latest}`);
    // Deprecated between list and show, or deleted: nothing to schedule.
    if (!record || record.deprecated) continue;
    capsules.push({ id: record.id, version: record.version, document: record.document });
  }
  return capsules;
}
