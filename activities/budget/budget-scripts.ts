import { defineScript } from '../../services/redis';

/**
 * Budget accounting in integer micro-USD, in four keys of one tenant (hash-tagged so they share a
 * cluster slot): KEYS[1] hash {limit, spent, reserved}; KEYS[2] zset reservation → expiry (ms);
 * KEYS[3] hash reservation → amount; KEYS[4] zset committed reservation → commit time, so a
 * retried commit is not charged twice. Time comes from the Redis server, one clock for all workers.
 * Every script first returns expired reservations to the pool.
 */
const PRELUDE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
for _, id in ipairs(expired) do
  local amount = tonumber(redis.call('HGET', KEYS[3], id) or '0')
  redis.call('HINCRBY', KEYS[1], 'reserved', -amount)
  redis.call('HDEL', KEYS[3], id)
end
if #expired > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now) end
local function state()
  local v = redis.call('HMGET', KEYS[1], 'limit', 'spent', 'reserved')
  return v[1] or '', tonumber(v[2] or '0'), tonumber(v[3] or '0')
end
`;

/** ARGV: reservationId, amount, ttlMs. Returns [status, limit, spent, reserved]; status 1 = held
 * (new or already held), 2 = already committed, 0 = does not fit. */
export const RESERVE = defineScript(`${PRELUDE}
local id, amount, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
if redis.call('ZSCORE', KEYS[4], id) then
  local limit, spent, reserved = state()
  return {2, limit, spent, reserved}
end
if redis.call('HEXISTS', KEYS[3], id) == 1 then
  redis.call('ZADD', KEYS[2], now + ttl, id)
  local limit, spent, reserved = state()
  return {1, limit, spent, reserved}
end
local limit, spent, reserved = state()
if limit ~= '' and spent + reserved + amount > tonumber(limit) then
  return {0, limit, spent, reserved}
end
redis.call('HSET', KEYS[3], id, amount)
redis.call('ZADD', KEYS[2], now + ttl, id)
redis.call('HINCRBY', KEYS[1], 'reserved', amount)
return {1, limit, spent, reserved + amount}
`);

/** ARGV: reservationId, actual, keepCommittedMs. Returns [status, limit, spent, reserved];
 * status 1 = charged, 2 = already committed (nothing charged). */
export const COMMIT = defineScript(`${PRELUDE}
local id, actual, keep = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
if redis.call('ZSCORE', KEYS[4], id) then
  local limit, spent, reserved = state()
  return {2, limit, spent, reserved}
end
local held = tonumber(redis.call('HGET', KEYS[3], id) or '0')
if held > 0 then
  redis.call('HINCRBY', KEYS[1], 'reserved', -held)
  redis.call('HDEL', KEYS[3], id)
  redis.call('ZREM', KEYS[2], id)
end
-- Usage is charged even if the reservation expired: the money was spent.
redis.call('HINCRBY', KEYS[1], 'spent', actual)
redis.call('ZADD', KEYS[4], now, id)
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - keep)
local limit, spent, reserved = state()
return {1, limit, spent, reserved}
`);

/** ARGV: reservationId. Returns [released (1/0), limit, spent, reserved]. */
export const RELEASE = defineScript(`${PRELUDE}
local id = ARGV[1]
local held = tonumber(redis.call('HGET', KEYS[3], id) or '-1')
if held >= 0 then
  redis.call('HINCRBY', KEYS[1], 'reserved', -held)
  redis.call('HDEL', KEYS[3], id)
  redis.call('ZREM', KEYS[2], id)
end
local limit, spent, reserved = state()
return {held >= 0 and 1 or 0, limit, spent, reserved}
`);

/** Returns [0, limit, spent, reserved] after expiring stale reservations. */
export const STATE = defineScript(`${PRELUDE}
local limit, spent, reserved = state()
return {0, limit, spent, reserved}
`);
