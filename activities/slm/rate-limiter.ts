import { randomUUID } from 'node:crypto';
import { defineScript, type Redis } from '../../services/redis';

/**
 * Sliding-window log: KEYS[1] is a zset of admitted request ids scored by time (ms, Redis clock).
 * ARGV: limit, windowMs, member. Returns [admitted (1/0), waitMs until a slot frees].
 */
const ACQUIRE = defineScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit, window = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return {1, 0}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, math.max(1, tonumber(oldest[2]) + window - now)}
`);

export interface RateLimit {
  /** Requests admitted per window. */
  requests: number;
  /** @default 60000 (1 min) */
  windowMs?: number;
}

export interface RateLimiter {
  /** Takes a slot for `provider`; when full, says how long until one frees. Unlimited if unset. */
  acquire(input: {
    provider: string;
  }): Promise<{ admitted: true } | { admitted: false; retryAfterMs: number }>;
}

/** Per-provider request limits shared by every worker through Redis. */
export function createRateLimiter({
  redis,
  limits,
}: {
  redis: Redis;
  /** By provider name; providers without an entry are not limited here. */
  limits: Record<string, RateLimit>;
}): RateLimiter {
  return {
    async acquire({ provider }) {
      const limit = limits[provider];
      if (!limit) return { admitted: true };
      const windowMs = limit.windowMs ?? 60_000;
      const [admitted, waitMs] = (await ACQUIRE.run(
        redis,
        [`ratelimit:${provider}`],
        [limit.requests, windowMs, randomUUID()],
      )) as [number, number];
      return admitted === 1 ? { admitted: true } : { admitted: false, retryAfterMs: waitMs };
    },
  };
}
