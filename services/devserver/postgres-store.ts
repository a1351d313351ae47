import type { Pool } from 'pg';
import type { Logger } from '../logger';
import { createPool } from '../postgres';
import { decodeMessage, encodeMessage, messageType } from './proto';
import { DEVSERVER_SCHEMA, migrateDevServerSchema } from './postgres-schema';
import { deserializeRunState, type HistoryEvent } from './state';
import type { DevServerStore, NamespaceRecord, StoredSnapshot, StoreTransaction } from './store';

const S = DEVSERVER_SCHEMA;
/** Backoff between attempts to write a batch while PostgreSQL is unreachable. */
const RETRY_DELAYS_MS = [50, 200, 1000, 5000];
/** How long `close` waits for queued transactions to be written. */
const CLOSE_DRAIN_MS = 10_000;

interface PendingCommit {
  tx: StoreTransaction;
  resolve(): void;
}

/**
 * PostgreSQL store (schema `temporal_dev`, created and migrated at load). Commits are group
 * committed: while one batch is being written, later transactions queue up and go out together
 * in the next single Postgres transaction, in order. A batch that fails (database down) is
 * retried until it succeeds, so the durable state never skips a transaction the engine made;
 * the RPCs waiting on it simply wait.
 */
export function createPostgresStore({ url, logger }: { url: string; logger: Logger }): DevServerStore {
  const pool: Pool = createPool({ url, max: 2, applicationName: 'somagent-devserver' });
  const eventType = messageType('temporal.api.history.v1.HistoryEvent');
  let queue: PendingCommit[] = [];
  let flushing = false;
  let closed = false;

  async function write(batch: PendingCommit[]): Promise<void> {
    const runs = new Map<
      string,
      { namespace: string; runId: string; workflowId: string; status: string; state: string }
    >();
    const ev = { ns: [] as string[], run: [] as string[], id: [] as number[], data: [] as Buffer[] };
    const namespaces = new Map<string, NamespaceRecord>();
    for (const { tx } of batch) {
      for (const ns of tx.namespaces) namespaces.set(ns.name, ns);
      for (const change of tx.runs) {
        const { namespace, runId, workflowId, status } = change.state;
        runs.set(`${namespace}\u0000${runId}`, {
          namespace,
          runId,
          workflowId,
          status,
          state: change.stateJson,
        });
        for (const event of change.newEvents) {
          ev.ns.push(namespace);
          ev.run.push(runId);
          ev.id.push(event.eventId);
          ev.data.push(encodeMessage(eventType, event));
        }
      }
    }
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      if (ev.id.length > 0) {
        await client.query(
          `INSERT INTO ${S}.history_events (namespace, run_id, event_id, data)
           SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::bytea[])
           ON CONFLICT DO NOTHING`,
          [ev.ns, ev.run, ev.id, ev.data],
        );
      }
      if (runs.size > 0) {
        const rows = [...runs.values()];
        await client.query(
          `INSERT INTO ${S}.executions (namespace, run_id, workflow_id, status, state)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
           ON CONFLICT (namespace, run_id) DO UPDATE
             SET status = excluded.status, state = excluded.state, updated_at = now()`,
          [
            rows.map((r) => r.namespace),
            rows.map((r) => r.runId),
            rows.map((r) => r.workflowId),
            rows.map((r) => r.status),
            rows.map((r) => r.state),
          ],
        );
      }
      for (const ns of namespaces.values()) {
        await client.query(
          `INSERT INTO ${S}.namespaces (name, record) VALUES ($1, $2)
           ON CONFLICT (name) DO UPDATE SET record = excluded.record`,
          [ns.name, JSON.stringify(ns)],
        );
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async function flush(): Promise<void> {
    flushing = true;
    try {
      while (queue.length > 0) {
        const batch = queue;
        queue = [];
        for (let attempt = 0; ; attempt += 1) {
          try {
            await write(batch);
            break;
          } catch (err) {
            if (closed) throw err;
            const delay = RETRY_DELAYS_MS[Math.min(attempt, RETRY_DELAYS_MS.length - 1)] as number;
            logger.error(
              { err, attempt, transactions: batch.length },
              'devserver: writing to PostgreSQL failed, retrying',
            );
            await new Promise((resolve) => setTimeout(resolve, delay));
          }
        }
        for (const pending of batch) pending.resolve();
      }
    } finally {
      flushing = false;
    }
  }

  return {
    kind: 'postgres',

    async load(): Promise<StoredSnapshot> {
      const client = await pool.connect();
      try {
        const applied = await migrateDevServerSchema(client);
        if (applied > 0) logger.info({ schema: S, applied }, 'devserver: schema migrated');
        const namespaces = (
          await client.query<{ record: NamespaceRecord }>(`SELECT record FROM ${S}.namespaces`)
        ).rows.map((r) => r.record);
        const executions = await client.query<{ namespace: string; run_id: string; state: string }>(
          `SELECT namespace, run_id, state FROM ${S}.executions`,
        );
        const events = await client.query<{ namespace: string; run_id: string; data: Buffer }>(
          `SELECT namespace, run_id, data FROM ${S}.history_events ORDER BY namespace, run_id, event_id`,
        );
        const byRun = new Map<string, HistoryEvent[]>();
        for (const row of events.rows) {
          const key = `${row.namespace}\u0000${row.run_id}`;
          let list = byRun.get(key);
          if (!list) {
            list = [];
            byRun.set(key, list);
          }
          list.push(decodeMessage(eventType, row.data) as HistoryEvent);
        }
        const runs = executions.rows.map((row) => ({
          state: deserializeRunState(row.state),
          events: byRun.get(`${row.namespace}\u0000${row.run_id}`) ?? [],
        }));
        return { namespaces, runs };
      } finally {
        client.release();
      }
    },

    commit(tx: StoreTransaction): Promise<void> {
      if (tx.runs.length === 0 && tx.namespaces.length === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        if (closed) {
          reject(new Error('devserver store is closed'));
          return;
        }
        queue.push({ tx, resolve });
        if (!flushing)
          flush().catch((err: unknown) => logger.error({ err }, 'devserver: store flush aborted'));
      });
    },

    async close(): Promise<void> {
      // Let queued transactions land, but do not hang forever on an unreachable database.
      const giveUpAt = Date.now() + CLOSE_DRAIN_MS;
      while ((flushing || queue.length > 0) && Date.now() < giveUpAt)
        await new Promise((r) => setTimeout(r, 10));
      closed = true;
      await pool.end();
    },
  };
}
