import type { PoolClient } from 'pg';

/** Schema of the devserver's tables; kept apart from the platform's `somagent` schema. */
export const DEVSERVER_SCHEMA = 'temporal_dev';

/** Key of the transaction-level advisory lock that serialises concurrent migrations. */
const MIGRATION_LOCK_ID = 0x54_44_45_56; // "TDEV"

/**
 * Ordered migrations; each runs once, in one transaction with the version bump. Append only.
 * Events are stored encoded (temporal.api.history.v1.HistoryEvent), run state as JSON text.
 */
const MIGRATIONS: string[] = [
  `CREATE TABLE ${DEVSERVER_SCHEMA}.namespaces (
     name text PRIMARY KEY,
     record jsonb NOT NULL
   );
   CREATE TABLE ${DEVSERVER_SCHEMA}.executions (
     namespace text NOT NULL,
     run_id text NOT NULL,
     workflow_id text NOT NULL,
     status text NOT NULL,
     state text NOT NULL,
     updated_at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (namespace, run_id)
   );
   CREATE INDEX executions_open_idx ON ${DEVSERVER_SCHEMA}.executions (status) WHERE status = 'WORKFLOW_EXECUTION_STATUS_RUNNING';
   CREATE TABLE ${DEVSERVER_SCHEMA}.history_events (
     namespace text NOT NULL,
     run_id text NOT NULL,
     event_id integer NOT NULL,
     data bytea NOT NULL,
     PRIMARY KEY (namespace, run_id, event_id)
   );`,
  // Schedules: one JSON row each; a deleted schedule keeps its row with a NULL record.
  `CREATE TABLE ${DEVSERVER_SCHEMA}.schedules (
     namespace text NOT NULL,
     schedule_id text NOT NULL,
     record text,
     updated_at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (namespace, schedule_id)
   );`,
];

/** Creates or upgrades the devserver schema; safe when several devservers start at once. */
export async function migrateDevServerSchema(client: PoolClient): Promise<number> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_ID]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${DEVSERVER_SCHEMA}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${DEVSERVER_SCHEMA}.schema_version (version integer NOT NULL)`,
    );
    const { rows } = await client.query<{ version: number }>(
      `SELECT version FROM ${DEVSERVER_SCHEMA}.schema_version`,
    );
    const current = rows[0]?.version ?? 0;
    for (let v = current; v < MIGRATIONS.length; v += 1) await client.query(MIGRATIONS[v] as string);
    if (rows.length === 0) {
      await client.query(`INSERT INTO ${DEVSERVER_SCHEMA}.schema_version (version) VALUES ($1)`, [
        MIGRATIONS.length,
      ]);
    } else if (current < MIGRATIONS.length) {
      await client.query(`UPDATE ${DEVSERVER_SCHEMA}.schema_version SET version = $1`, [MIGRATIONS.length]);
    }
    await client.query('COMMIT');
    return MIGRATIONS.length - current;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
