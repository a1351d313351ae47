import type { Pool } from 'pg';

/**
 * Forgets processed event ids recorded before `before`. Safe once `before` is older than Kafka's
 * retention plus the relay's worst republish delay: no older event can be redelivered.
 *
 * @returns how many records were deleted.
 */
export async function pruneProcessedEvents(
  pool: Pool,
  { before, batchSize = 5_000 }: { before: Date; batchSize?: number },
): Promise<number> {
  let total = 0;
  for (;;) {
    const { rowCount } = await pool.query(
      `DELETE FROM consumer_processed_events WHERE (consumer_group, event_id) IN (
         SELECT consumer_group, event_id FROM consumer_processed_events
          WHERE processed_at < $1 LIMIT $2)`,
      [before, batchSize],
    );
    total += rowCount ?? 0;
    if ((rowCount ?? 0) < batchSize) return total;
  }
}
