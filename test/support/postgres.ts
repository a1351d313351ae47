import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** The server tests run against; its database part is replaced per test database. */
export const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * Creates an empty database with a unique name and returns its URL plus a function that drops it.
 * Used by the global setup (one database per test run) and by tests that need a pristine one.
 */
export async function createTestDatabase(
  label = 'test',
): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const name = `somagent_${label}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = new Client({ connectionString: ADMIN_URL });
  try {
    await admin.connect();
  } catch (err) {
    throw new Error(
      `Tests need PostgreSQL at ${ADMIN_URL} (set TEST_DATABASE_ADMIN_URL to change it). ` +
        `Start it with: pg_ctlcluster $(ls /etc/postgresql) main start`,
      { cause: err },
    );
  }
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: withDatabase(ADMIN_URL, name),
    drop: async () => {
      const c = new Client({ connectionString: ADMIN_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
