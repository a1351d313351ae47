import type { Pool } from 'pg';

export interface ExecutionLog {
  /**
   * Runs `effect` at most once per key: a key already recorded returns the recorded result
   * without running it. Concurrent calls with one key are serialized on an advisory lock, so two
   * overlapping attempts of one activity cannot both perform the effect. A failed effect records
   * nothing. (An effect that completed but whose record was lost in a crash runs again: the
   * record and the effect cannot share one transaction.)
   */
  once<T>(
    input: { key: string; toolId: string; workflowId: string },
    effect: () => Promise<T>,
  ): Promise<{ result: T; replayed: boolean }>;
}

/** Idempotency records of tool side effects in `tool_executions`. */
export function createExecutionLog({ pool }: { pool: Pool }): ExecutionLog {
  return {
    async once({ key, toolId, workflowId }, effect) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [key]);
        const recorded = await client.query<{ result: unknown }>(
          'SELECT result FROM tool_executions WHERE idempotency_key = $1',
          [key],
        );
        if (recorded.rows[0]) {
          await client.query('COMMIT');
          return { result: recorded.rows[0].result as never, replayed: true };
        }
        const result = await effect();
        await client.query(
          `INSERT INTO tool_executions (idempotency_key, tool_id, workflow_id, result) VALUES ($1, $2, $3, $4)`,
          // jsonb cannot hold `undefined`: record it as null.
          [key, toolId, workflowId, JSON.stringify(result ?? null)],
        );
        await client.query('COMMIT');
        return { result, replayed: false };
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
  };
}
