import { randomUUID } from 'node:crypto';
import { defineScript, type Redis } from '../redis';

/**
 * Token bucket per tenant. KEYS[1] hash {tokens, at}; ARGV rate (tokens/s), burst, cost. Time is
 * Redis's own clock, so every gateway instance shares one bucket. Returns [admitted, waitMs].
 */
const TAKE = defineScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate, burst, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
local ttl = math.ceil(burst / rate * 1000) + 1000
if tokens >= cost then
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens - cost), 'at', now)
  redis.call('PEXPIRE', KEYS[1], ttl)
  return {1, 0}
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], ttl)
return {0, math.ceil((cost - tokens) * 1000 / rate)}
`);

/**
 * Concurrency leases per tenant. KEYS[1] zset of lease ids scored by expiry (ms); ARGV limit,
 * leaseMs, id. Expired leases (a gateway that died holding them) are dropped first.
 */
const LEASE = defineScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit, lease = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= limit then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, math.max(1, tonumber(first[2]) - now)}
end
redis.call('ZADD', KEYS[1], now + lease, ARGV[3])
redis.call('PEXPIRE', KEYS[1], lease)
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
      const [taken, waitMs] = (await TAKE.run(
        redis,
        [`gateway:rate:${tenant}`],
        [ratePerSecond, burst, 1],
      )) as [number, number];
      if (taken !== 1) {
        return {
          admitted: false,
          retryAfterMs: waitMs,
          reason: `tenant "${tenant}" is over its rate of ${ratePerSecond} calls/s (burst ${burst})`,
        };
      }
      const key = `gateway:concurrent:${tenant}`;
      const id = randomUUID();
      const [leased, leaseWaitMs] = (await LEASE.run(redis, [key], [maxConcurrent, leaseMs, id])) as [
        number,
        number,
      ];
      if (leased !== 1) {
        return {
          admitted: false,
          retryAfterMs: Math.min(leaseWaitMs, 1000),
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
