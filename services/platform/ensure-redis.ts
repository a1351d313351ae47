import { spawn, spawnSync } from 'node:child_process';
import Redis from 'ioredis';
import { redactUrl } from '../config';
import type { Logger } from '../logger';
import { DependencyUnavailableError, type EmbeddedService } from './embedded-service';
import { freePort } from './free-port';

export interface EnsureRedisOptions {
  url: string;
  embedded: boolean;
  logger: Logger;
}

export interface RedisEndpoint {
  url: string;
  started?: EmbeddedService;
}

/**
 * Returns the URL of a reachable Redis. With nothing reachable and `embedded` on, starts
 * `redis-server` from the PATH on a free loopback port without persistence (budgets and rate
 * limits are rebuilt from Postgres and live traffic; nothing there must survive a restart).
 */
export async function ensureRedis({ url, embedded, logger }: EnsureRedisOptions): Promise<RedisEndpoint> {
  if (await pingRedis(url)) return { url };
  if (!embedded) {
    throw new DependencyUnavailableError(
      `Redis is not reachable at ${redactUrl(url)}. Start it, point REDIS_URL at one, or set SOMAGENT_EMBEDDED=true.`,
    );
  }
  if (spawnSync('redis-server', ['--version']).error) {
    throw new DependencyUnavailableError(
      `Redis is not reachable at ${redactUrl(url)} and redis-server is not installed. ` +
        'Install it (Debian/Ubuntu: `apt-get install -y redis-server`; macOS: `brew install redis`) ' +
        'or point REDIS_URL at a running Redis.',
    );
  }
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const startedUrl = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 50 && !(await pingRedis(startedUrl)); i++) await sleep(100);
  if (!(await pingRedis(startedUrl))) {
    child.kill('SIGTERM');
    throw new DependencyUnavailableError(`redis-server did not answer on ${startedUrl} within 5 s`);
  }
  logger.debug({ port }, 'redis-server started');
  return {
    url: startedUrl,
    started: {
      kind: 'redis-server',
      address: startedUrl,
      stop: () =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    },
  };
}

async function pingRedis(url: string): Promise<boolean> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
