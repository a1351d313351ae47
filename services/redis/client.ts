import Redis, { type RedisOptions } from 'ioredis';

export interface CreateRedisOptions {
  url: string;
  /** Prepended to every key (config `REDIS_KEY_PREFIX`), so deployments can share one Redis. */
  keyPrefix: string;
  /** Name shown by `CLIENT LIST`, so operators can tell our connections apart. @default 'somagent' */
  connectionName?: string;
  /** Commands a request may wait for a reconnect before failing. @default 3 */
  maxRetriesPerRequest?: number;
}

/**
 * The one place a Redis connection is built. Entry points call it once and inject the client;
 * Lua scripts that use keys rely on ioredis applying `keyPrefix` to their declared keys.
 */
export function createRedis({
  url,
  keyPrefix,
  connectionName = 'somagent',
  maxRetriesPerRequest = 3,
}: CreateRedisOptions): Redis {
  const options: RedisOptions = {
    keyPrefix,
    connectionName,
    maxRetriesPerRequest,
    // Reconnect with a capped backoff: 50 ms, 100 ms, ... up to 2 s.
    retryStrategy: (times) => Math.min(times * 50, 2_000),
    enableAutoPipelining: true,
  };
  const redis = new Redis(url, options);
  // Without a listener an 'error' event would crash the process; commands fail on their own.
  redis.on('error', () => undefined);
  return redis;
}

export type { Redis };
