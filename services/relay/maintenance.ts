import type { Pool } from 'pg';

export interface OutboxStatus {
  /** Rows waiting to be published. */
  pending: number;
  /** Age of the oldest pending row in seconds (0 when none). */
  oldestPendingAgeSeconds: number;
  /** Pending rows that failed at least once, and the most attempts any of them took. */
  retrying: number;
  maxAttempts: number;
  /** Rows taken out because their envelope is invalid (see `last_error`). */
  rejected: number;
  published: number;
  /** The most frequent errors of unpublished rows (retrying or rejected), most frequent first. */
  lastErrors: { error: string; rows: number }[];
}

/** A snapshot of the outbox for operators (`somagent outbox status`). */
export async function outboxStatus(pool: Pool): Promise<OutboxStatus> {
  const { rows } = await pool.query<{
    pending: string;
    oldest: number | null;
    retrying: string;
    max_attempts: number | null;
    rejected: string;
    published: string;
  }>(
    `SELECT count(*) FILTER (WHERE published_at IS NULL AND rejected_at IS NULL) AS pending,
            extract(epoch FROM now() - min(created_at) FILTER (WHERE published_at IS NULL AND rejected_at IS NULL))::float8 AS oldest,
            count(*) FILTER (WHERE published_at IS NULL AND rejected_at IS NULL AND attempts > 0) AS retrying,
            max(attempts) FILTER (WHERE published_at IS NULL AND rejected_at IS NULL) AS max_attempts,
            count(*) FILTER (WHERE rejected_at IS NOT NULL) AS rejected,
            count(*) FILTER (WHERE published_at IS NOT NULL) AS published
       FROM outbox`,
  );
  const errors = await pool.query<{ error: string; rows: string }>(
    `SELECT last_error AS error, count(*) AS rows
       FROM outbox
      WHERE published_at IS NULL AND last_error IS NOT NULL
      GROUP BY last_error
      ORDER BY count(*) DESC, last_error
      LIMIT 5`,
  );
  const row = rows[0]!;
  return {
    pending: Number(row.pending),
    oldestPendingAgeSeconds: Math.max(0, row.oldest ?? 0),
    retrying: Number(row.retrying),
    maxAttempts: row.max_attempts ?? 0,
    rejected: Number(row.rejected),
    published: Number(row.published),
    lastErrors: errors.rows.map((e) => ({ error: e.error, rows: Number(e.rows) })),
  };
}

/**
 * Deletes published outbox rows older than `publishedBefore`, in batches so no transaction holds
 * many locks. Pending and rejected rows are never deleted.
 *
 * @returns how many rows were deleted.
 */
export async function pruneOutbox(
  pool: Pool,
  { publishedBefore, batchSize = 5_000 }: { publishedBefore: Date; batchSize?: number },
): Promise<number> {
  let total = 0;
  for (;;) {
    const { rowCount } = await pool.query(
      `DELETE FROM outbox WHERE id IN (
         SELECT id FROM outbox WHERE published_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      [publishedBefore, batchSize],
    );
    total += rowCount ?? 0;
    if ((rowCount ?? 0) < batchSize) return total;
  }
}
