import { Pool, type PoolConfig } from 'pg';

/** Schema that holds every SomaGent table; `search_path` points at it for each connection. */
export const SCHEMA = 'somagent';

export interface CreatePoolOptions {
  url: string;
  /** Connections at most. @default 10 */
  max?: number;
  /** Name shown in pg_stat_activity, so operators can tell our connections apart. */
  applicationName?: string;
}

/**
 * The one place a Postgres pool is built. Entry points call it once and inject the pool; nothing
 * else creates connections.
 */
export function createPool({ url, max = 10, applicationName = 'somagent' }: CreatePoolOptions): Pool {
  const config: PoolConfig = {
    connectionString: url,
    max,
    application_name: applicationName,
    options: `-c search_path=${SCHEMA},public`,
    idleTimeoutMillis: 30_000, // 30 s
    connectionTimeoutMillis: 10_000, // 10 s
  };
  const pool = new Pool(config);
  // An idle client that loses its server emits 'error' on the pool; without a listener Node
  // would crash the process. The next query gets a fresh connection.
  pool.on('error', () => undefined);
  return pool;
}
