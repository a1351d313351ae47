import type { Pool } from 'pg';
import type { Logger } from '../logger';
import { createPool } from '../postgres';
import { decodeMessage, encodeMessage, messageType } from './proto';
import { DEVSERVER_SCHEMA, migrateDevServerSchema } from './postgres-schema';
import {
  deserializeScheduleRecord,
  scheduleKey,
  serializeScheduleRecord,
  type ScheduleRecord,
} from './schedule-record';
import { deserializeRunState, serializeRunState, type HistoryEvent, type RunState } from './state';
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

  interface Rows {
    runs: { namespace: string[]; runId: string[]; workflowId: string[]; status: string[]; state: string[] };
    events: { namespace: string[]; runId: string[]; eventId: number[]; data: Buffer[] };
    namespaces: NamespaceRecord[];
    schedules: { namespace: string[]; scheduleId: string[]; record: (string | null)[] };
  }

  /**
   * Turns a batch into rows synchronously (see RunChange): one state row per run (its live state
   * now), every new event encoded.
   */
  function toRows(batch: PendingCommit[]): Rows {
    const runs = new Map<string, RunState>();
    const events: Rows['events'] = { namespace: [], runId: [], eventId: [], data: [] };
    const namespaces = new Map<string, NamespaceRecord>();
    const schedules = new Map<string, { namespace: string; scheduleId: string; record: string | null }>();
    for (const { tx } of batch) {
      for (const ns of tx.namespaces) namespaces.set(ns.name, ns);
      for (const { namespace, scheduleId, record } of tx.schedules ?? []) {
        const row = { namespace, scheduleId, record: record && serializeScheduleRecord(record) };
        schedules.set(scheduleKey(namespace, scheduleId), row);
      }
      for (const change of tx.runs) {
        const { namespace, runId } = change.state;
        runs.set(`${namespace}\u0000${runId}`, change.state);
        for (const event of change.newEvents) {
          events.namespace.push(namespace);
          events.runId.push(runId);
          events.eventId.push(event.eventId);
          events.data.push(encodeMessage(eventType, event));
        }
      }
    }
    const states = [...runs.values()];
    return {
      runs: {
        namespace: states.map((r) => r.namespace),
        runId: states.map((r) => r.runId),
        workflowId: states.map((r) => r.workflowId),
        status: states.map((r) => r.status),
        state: states.map((r) => serializeRunState(r)),
      },
      events,
      namespaces: [...namespaces.values()],
      schedules: {
        namespace: [...schedules.values()].map((x) => x.namespace),
        scheduleId: [...schedules.values()].map((x) => x.scheduleId),
        record: [...schedules.values()].map((x) => x.record),
      },
    };
  }

  /**
   * Writes a batch as ONE statement (data-modifying CTEs run atomically, like a transaction):
   * a single round trip instead of BEGIN / INSERT / UPSERT / COMMIT.
   */
  async function write(rows: Rows): Promise<void> {
    const ev = rows.events;
    const r = rows.runs;
    await pool.query({
      // Named: each connection parses and plans the statement once, then only binds and runs it.
      name: 'devserver-commit-batch',
      text: `WITH events AS (
         INSERT INTO ${S}.history_events (namespace, run_id, event_id, data)
         SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::bytea[])
         ON CONFLICT DO NOTHING
       ), runs AS (
         INSERT INTO ${S}.executions (namespace, run_id, workflow_id, status, state)
         SELECT * FROM unnest($5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
         ON CONFLICT (namespace, run_id) DO UPDATE
           SET status = excluded.status, state = excluded.state, updated_at = now()
       ), schedules AS (
         INSERT INTO ${S}.schedules (namespace, schedule_id, record)
         SELECT * FROM unnest($12::text[], $13::text[], $14::text[])
         ON CONFLICT (namespace, schedule_id) DO UPDATE SET record = excluded.record, updated_at = now()
       )
       INSERT INTO ${S}.namespaces (name, record)
       SELECT n.name, n.record FROM unnest($10::text[], $11::jsonb[]) AS n(name, record)
       ON CONFLICT (name) DO UPDATE SET record = excluded.record`,
      values: [
        ev.namespace,
        ev.runId,
        ev.eventId,
        ev.data,
        r.namespace,
        r.runId,
        r.workflowId,
        r.status,
        r.state,
        rows.namespaces.map((n) => n.name),
        rows.namespaces.map((n) => JSON.stringify(n)),
        rows.schedules.namespace,
        rows.schedules.scheduleId,
        rows.schedules.record,
      ],
    });
  }

  async function flush(): Promise<void> {
    flushing = true;
    try {
      while (queue.length > 0) {
        let batch = queue;
        queue = [];
        for (let attempt = 0; ; attempt += 1) {
          try {
            await write(toRows(batch));
            break;
          } catch (err) {
            if (closed) throw err;
            // The retry snapshots the live state again, so it must also carry every transaction
            // made meanwhile: their events belong to that newer state.
            batch = batch.concat(queue);
            queue = [];
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
        const schedules = (
          await client.query<{ record: string }>(
            `SELECT record FROM ${S}.schedules WHERE record IS NOT NULL ORDER BY namespace, schedule_id`,
          )
        ).rows.map((r): ScheduleRecord => deserializeScheduleRecord(r.record));
        return { namespaces, runs, schedules };
      } finally {
        client.release();
      }
    },

    commit(tx: StoreTransaction): Promise<void> {
      if (tx.runs.length === 0 && tx.namespaces.length === 0 && !tx.schedules?.length)
        return Promise.resolve();
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
