import type { ClientBase, Pool } from 'pg';

/** An outbox row claimed for publishing; `envelope` is still unvalidated JSON. */
export interface OutboxRow {
  id: string;
  topic: string;
  key: string;
  envelope: unknown;
  seq: string;
  attempts: number;
  createdAt: Date;
}

/** Rows still to publish, for a table alias. */
const pending = (alias: string) => `${alias}.published_at IS NULL AND ${alias}.rejected_at IS NULL`;

/**
 * Claims up to `batchSize` pending rows for this transaction, keeping per-key order safe with
 * several relays running at once.
 *
 * Locking single rows with SKIP LOCKED is not enough: relay A could hold row k1 while relay B
 * skips it and publishes k2 of the same key first. So a relay claims *keys*: it locks, with
 * SKIP LOCKED, only the oldest pending row (the head) of each key, and then takes that key's
 * following rows. Another relay can only claim a row of the same key once it is the head in
 * that relay's snapshot, i.e. after this transaction committed its rows as published — so no
 * two relays ever hold rows of one key, and a key's rows reach Kafka in `seq` order.
 * If the head was published meanwhile, Postgres re-checks `published_at IS NULL` on the locked
 * row (EvalPlanQual) and drops it.
 */
export async function claimBatch(client: ClientBase, batchSize: number): Promise<OutboxRow[]> {
  // Written as a correlated "seq = head of my key" (one index probe per row) rather than NOT
  // EXISTS, which the planner turns into a quadratic anti-join when statistics are stale.
  const heads = await client.query<{ key: string }>(
    `SELECT o.key
       FROM outbox o
      WHERE ${pending('o')}
        AND o.seq = (SELECT p.seq FROM outbox p
                      WHERE p.key = o.key AND ${pending('p')}
                      ORDER BY p.seq LIMIT 1)
      ORDER BY o.seq
      LIMIT $1
        FOR UPDATE OF o SKIP LOCKED`,
    [batchSize],
  );
  if (heads.rowCount === 0) return [];
  // No SKIP LOCKED here: skipping a row inside a claimed key would reorder that key.
  const rows = await client.query<OutboxRow>(
    `SELECT o.id, o.topic, o.key, o.envelope, o.seq::text AS seq, o.attempts, o.created_at AS "createdAt"
       FROM outbox o
      WHERE o.key = ANY($1::text[]) AND ${pending('o')}
      -- o.seq, the bigint: a bare "seq" would mean the text alias and sort "103" before "7".
      ORDER BY o.seq
      LIMIT $2
        FOR UPDATE`,
    [heads.rows.map((h) => h.key), batchSize],
  );
  return rows.rows;
}

/** Marks rows as delivered to Kafka (acknowledged by all in-sync replicas). */
export async function markPublished(client: ClientBase, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await client.query(
    `UPDATE outbox SET published_at = now(), attempts = attempts + 1, last_error = NULL
      WHERE id = ANY($1::uuid[])`,
    [ids],
  );
}

/** Records a failed attempt; the rows stay pending and are retried after a backoff. */
export async function markFailed(client: ClientBase, ids: readonly string[], error: string): Promise<void> {
  if (ids.length === 0) return;
  await client.query(
    'UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = ANY($1::uuid[])',
    [ids, error],
  );
}

/** Takes a row that can never be published (invalid envelope) out of the queue, with the reason. */
export async function markRejected(client: ClientBase, id: string, reason: string): Promise<void> {
  await client.query('UPDATE outbox SET rejected_at = now(), last_error = $2 WHERE id = $1', [id, reason]);
}

/** Pending rows and the age of the oldest, for the lag gauges. */
export async function sampleBacklog(pool: Pool): Promise<{ pending: number; oldestAgeSeconds: number }> {
  const { rows } = await pool.query<{ pending: string; oldest_age: number | null }>(
    `SELECT count(*) AS pending,
            extract(epoch FROM now() - min(created_at))::float8 AS oldest_age
       FROM outbox o WHERE ${pending('o')}`,
  );
  return { pending: Number(rows[0]?.pending ?? 0), oldestAgeSeconds: Math.max(0, rows[0]?.oldest_age ?? 0) };
}
