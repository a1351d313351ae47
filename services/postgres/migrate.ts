import path from 'node:path';
import { Client } from 'pg';
import { runner } from 'node-pg-migrate';
import type { Logger } from '../logger';
import { SCHEMA } from './pool';

export const MIGRATIONS_DIR = path.join(__dirname, 'migrations');

export interface MigrateOptions {
  url: string;
  logger?: Logger;
  /** @default 'up' */
  direction?: 'up' | 'down';
  /** How many migrations to run; all pending ones by default (down: 1). */
  count?: number;
}

/**
 * Brings the `somagent` schema up to date. Safe to call from every service at start-up and from
 * several processes at once: each waits its turn on a session advisory lock (node-pg-migrate's own
 * lock only *tries*, so a second service starting at the same moment would fail), and a re-run
 * with nothing pending changes nothing.
 *
 * @returns the names of the migrations that ran.
 */
export async function migrate({ url, logger, direction = 'up', count }: MigrateOptions): Promise<string[]> {
  const client = new Client({ connectionString: url, application_name: 'somagent-migrate' });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    const ran = await runMigrations(client, direction, count, logger);
    return ran;
  } finally {
    // Ending the session releases the advisory lock even if unlocking was never reached.
    await client.end();
  }
}

/** Arbitrary constant shared by every SomaGent process: the key of the migration lock. */
const MIGRATION_LOCK_ID = 0x50_4d_41_47; // "SOMAG"

async function runMigrations(
  client: Client,
  direction: 'up' | 'down',
  count: number | undefined,
  logger: Logger | undefined,
): Promise<string[]> {
  const ran = await runner({
    dbClient: client,
    noLock: true,
    dir: MIGRATIONS_DIR,
    direction,
    count: count ?? (direction === 'up' ? Infinity : 1),
    schema: SCHEMA,
    createSchema: true,
    migrationsTable: 'pgmigrations',
    checkOrder: true,
    singleTransaction: true,
    log: () => undefined,
    logger: logger
      ? {
          debug: () => undefined,
          info: (msg: string) => logger.debug(msg),
          warn: (msg: string) => logger.warn(msg),
          error: (msg: string) => logger.error(msg),
        }
      : { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
  });
  return ran.map((m) => m.name);
}
