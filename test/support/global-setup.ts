import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { migrate } from '../../services/postgres';
import { createTestDatabase } from './postgres';

/**
 * Once per `jest` run: a private, migrated database and a private Redis key prefix, exported
 * through the environment that every test worker inherits. Parallel runs never share state.
 */
export default async function globalSetup(): Promise<void> {
  const db = await createTestDatabase('run');
  await migrate({ url: db.url });
  process.env.DATABASE_URL = db.url;
  process.env.SOMAGENT_TEST_DATABASE = db.name;

  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    throw new Error(
      `Tests need Redis at ${redisUrl}. Start it with: ` +
        `redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no`,
      { cause: err },
    );
  } finally {
    redis.disconnect();
  }
  process.env.REDIS_URL = redisUrl;
  process.env.REDIS_KEY_PREFIX = `somagent-test-${randomBytes(4).toString('hex')}:`;
}
