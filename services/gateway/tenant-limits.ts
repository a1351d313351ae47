import { randomUUID } from 'node:crypto';
import { defineScript, type Redis } from '../redis';

/**
 * One admission in one round trip: a token from the tenant's bucket, then a concurrency lease.
 * KEYS[1] bucket hash {tokens, at}, KEYS[2] zset of lease ids scored by expiry (ms).
 * ARGV rate (tokens/s), burst, leaseMs, lease id, concurrency limit. Time is Redis's own clock,
 * so every gateway instance shares one bucket; leases of a gateway that died expire.
 * Returns [1, 0] admitted, [0, waitMs] over the rate, [2, waitMs] over the concurrency cap
 * (the token is not taken then).
 */
const ADMIT = defineScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate, burst, lease, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[5])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
local ttl = math.ceil(burst / rate * 1000) + 1000
if tokens < 1 then
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
  redis.call('PEXPIRE', KEYS[1], ttl)
  return {0, math.ceil((1 - tokens) * 1000 / rate)}
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) >= limit then
  local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  return {2, math.max(1, tonumber(first[2]) - now)}
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens - 1), 'at', now)
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('ZADD', KEYS[2], now + lease, ARGV[4])
redis.call('PEXPIRE', KEYS[2], lease)
return {1, 0}
`);

/** Extends a lease that still exists (KEYS[1], ARGV leaseMs, id), on Redis's clock. */
const RENEW = defineScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]))
return 1
`);

export interface TenantLimitsOptions {
  redis: Redis;
  /** Calls per second, refilled continuously. */
  ratePerSecond: number;
  /** Bucket size: calls at once after a quiet spell. */
  burst: number;
  /** Calls and streams open at once. */
  maxConcurrent: number;
  /** A lease not renewed for this long is dropped (a crashed gateway). @default 60000 */
  leaseMs?: number;
}

export type Admission =
  | { admitted: true; release: () => Promise<void> }
  | { admitted: false; retryAfterMs: number; reason: string };

export interface TenantLimits {
  /** Takes a token and a concurrency lease for one call; `release` ends the lease. */
  admit(tenant: string): Promise<Admission>;
}

/**
 * Per-tenant rate limit and concurrency cap shared by every gateway through Redis. A long call
 * (a watch stream) renews its lease while it runs.
 */
export function createTenantLimits({
  redis,
  ratePerSecond,
  burst,
  maxConcurrent,
  leaseMs = 60_000,
}: TenantLimitsOptions): TenantLimits {
  return {
    async admit(tenant) {
      const key = `gateway:concurrent:${tenant}`;
      const id = randomUUID();
      const [outcome, waitMs] = (await ADMIT.run(
        redis,
        [`gateway:rate:${tenant}`, key],
        [ratePerSecond, burst, leaseMs, id, maxConcurrent],
      )) as [number, number];
      if (outcome === 0) {
        return {
          admitted: false,
          retryAfterMs: waitMs,
          reason: `tenant "${tenant}" is over its rate of ${ratePerSecond} calls/s (burst ${burst})`,
        };
      }
      if (outcome === 2) {
        return {
          admitted: false,
          retryAfterMs: Math.min(waitMs, 1000),
          reason: `tenant "${tenant}" has ${maxConcurrent} calls or streams open, its limit`,
        };
      }
      const renew = setInterval(() => {
        void RENEW.run(redis, [key], [leaseMs, id]).catch(() => undefined);
      }, leaseMs / 3);
      renew.unref();
      return {
        admitted: true,
        release: async () => {
          clearInterval(renew);
          await redis.zrem(key, id);
        },
      };
    },
  };
}
