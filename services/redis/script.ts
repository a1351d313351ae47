import { createHash } from 'node:crypto';
import type Redis from 'ioredis';

/** A Lua script run with EVALSHA, falling back to EVAL when the server does not have it cached. */
export interface RedisScript {
  /** Runs the script; ioredis prepends the client's keyPrefix to `keys`, not to `args`. */
  run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown>;
}

/**
 * Wraps a Lua script. Every key a script touches must be passed in `keys` (never built inside
 * the script) so the prefix applies and the script stays cluster-routable.
 */
export function defineScript(lua: string): RedisScript {
  const sha = createHash('sha1').update(lua).digest('hex');
  return {
    async run(redis, keys, args) {
      const argv = args.map(String);
      try {
        return await redis.evalsha(sha, keys.length, ...keys, ...argv);
      } catch (err) {
        // NOSCRIPT: first use since the server started (or SCRIPT FLUSH); EVAL caches it.
        if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
        return redis.eval(lua, keys.length, ...keys, ...argv);
      }
    },
  };
}
