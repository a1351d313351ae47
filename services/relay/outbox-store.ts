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

/** How many of the oldest pending rows, per row of batch, a claim looks at for key heads. */
const CLAIM_WINDOW_FACTOR = 20;

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
 * that relay's snapshot, i.e. after this transaction committed the earlier rows as published —
 * so no two relays ever hold rows of one key, and a key's rows reach Kafka in `seq` order.
 *
 * It works on a window: the oldest `batchSize × 20` pending rows. Every pending row older than
 * a window row is in the window too, so a key's first row in the window is its head, and its
 * window rows are a gap-free prefix of its pending rows. Three index-driven statements, whatever
 * the backlog size or the state of the planner's statistics:
 *  1. read the window (ids and keys, seq order);
 *  2. lock the heads (`FOR UPDATE SKIP LOCKED`), re-checking that they are still pending: a head
 *     another relay published meanwhile drops out, and its key waits for the next batch;
 *  3. lock the claimed keys' window rows (plain `FOR UPDATE`: never skip inside a key).
 *
 * Order is `seq` order among committed rows; two transactions writing the same key at the same
 * time are ordered by when they become visible (a later `seq` may commit first).
 */
export async function claimBatch(client: ClientBase, batchSize: number): Promise<OutboxRow[]> {
  const window = await client.query<{ id: string; key: string }>(
    `SELECT o.id, o.key FROM outbox o WHERE ${pending('o')} ORDER BY o.seq LIMIT $1`,
    [batchSize * CLAIM_WINDOW_FACTOR],
  );
  const headIds: string[] = [];
  const seenKeys = new Set<string>();
  for (const row of window.rows) {
    if (seenKeys.has(row.key)) continue;
    seenKeys.add(row.key);
    headIds.push(row.id);
  }
  if (headIds.length === 0) return [];

  const heads = await client.query<{ key: string }>(
    `SELECT o.key FROM outbox o
      WHERE o.id = ANY($1::uuid[]) AND ${pending('o')}
      ORDER BY o.seq
      LIMIT $2
        FOR UPDATE OF o SKIP LOCKED`,
    [headIds, batchSize],
  );
  if (heads.rowCount === 0) return [];
  const claimed = new Set(heads.rows.map((h) => h.key));
  const ids = window.rows.filter((row) => claimed.has(row.key)).map((row) => row.id);

  // Only the holder of a key's head changes that key's rows, so all of them are still pending.
  // `o.seq` (the bigint) in ORDER BY: a bare "seq" would mean the text alias and sort "103" before "7".
  const rows = await client.query<OutboxRow>(
    `SELECT o.id, o.topic, o.key, o.envelope, o.seq::text AS seq, o.attempts, o.created_at AS "createdAt"
       FROM outbox o
      WHERE o.id = ANY($1::uuid[]) AND ${pending('o')}
      ORDER BY o.seq
      LIMIT $2
        FOR UPDATE`,
    [ids, batchSize],
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
