import type { Pool, PoolClient } from 'pg';

/**
 * Runs `work` inside BEGIN/COMMIT on one pooled client; any throw rolls back and rethrows the
 * original error (the rollback's own failure is attached as its cause only if the work succeeded).
 */
export async function withTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
