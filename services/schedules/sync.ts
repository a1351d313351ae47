import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { createCapsuleRegistry } from '../../capsules';
import { DEFAULT_TENANT } from '../../workflows/shared/constants';
import { desiredSchedules } from './desired-schedules';
import { createScheduleReconciler } from './reconciler';
import { scheduledCapsules } from './registry-source';
import { type SyncReport, syncReport } from './report';

/**
 * One sync of the registry's schedule triggers into the client's namespace: what
 * `somagent schedules sync`, `capsule publish` and `npm start` all run.
 */
export async function syncCapsuleSchedules({
  client,
  pool,
  taskQueue,
  dryRun = false,
}: {
  client: Client;
  pool: Pool;
  taskQueue: string;
  dryRun?: boolean;
}): Promise<SyncReport> {
  const desired = desiredSchedules(await scheduledCapsules(createCapsuleRegistry({ pool })), {
    taskQueue,
    tenant: DEFAULT_TENANT,
  });
  const plan = await createScheduleReconciler({ client }).sync(desired, { dryRun });
  return syncReport(plan, { dryRun });
}
