import { NativeConnection, type Worker } from '@temporalio/worker';
import type { Config } from '../services/config';
import { prepareConstitutionTrust } from '../services/constitution';
import type { Logger } from '../services/logger';
import { createPool } from '../services/postgres';
import { createRedis } from '../services/redis';
import { createSomagentWorker } from './create-worker';
import { createConstitutionHolder, type ConstitutionHolder } from './gate';
import { registerSearchAttributes } from './register-search-attributes';

/** Polls for a newer constitution this often when no Kafka hot reload reaches the worker. */
export const CONSTITUTION_POLL_MS = 30_000;

export interface WorkerRuntime {
  worker: Worker;
  holder: ConstitutionHolder;
  /** Runs until `worker.shutdown()`, then closes every connection the runtime opened. */
  run(): Promise<void>;
}

/**
 * The worker's composition root: Postgres pool, Redis, Temporal connection, constitution trust
 * (dev-signed default outside production) and holder, then the worker. `npm run worker` and
 * `npm start` both start workers this way. On a failure while starting, whatever was opened is
 * closed before the error propagates.
 */
export async function startWorkerRuntime({
  config,
  logger,
}: {
  config: Config;
  logger: Logger;
}): Promise<WorkerRuntime> {
  const pool = createPool({
    url: config.DATABASE_URL,
    max: config.DATABASE_POOL_MAX,
    applicationName: 'somagent-worker',
  });
  const redis = createRedis({
    url: config.REDIS_URL,
    keyPrefix: config.REDIS_KEY_PREFIX,
    connectionName: 'somagent-worker',
  });
  let connection: NativeConnection | undefined;
  let holder: ConstitutionHolder | undefined;
  const close = async () => {
    holder?.stop();
    await connection
      ?.close()
      .catch((err: unknown) => logger.error({ err }, 'closing the Temporal connection failed'));
    redis.disconnect();
    await pool.end().catch((err: unknown) => logger.error({ err }, 'closing the Postgres pool failed'));
  };
  try {
    connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
    await registerSearchAttributes({
      operatorService: connection.operatorService,
      namespace: config.TEMPORAL_NAMESPACE,
      logger,
    });
    const { trustStore } = await prepareConstitutionTrust({ config, logger, pool });
    const started = createConstitutionHolder({
      pool,
      trustStore,
      logger,
      pollIntervalMs: CONSTITUTION_POLL_MS,
    });
    holder = started;
    await started.start();
    const worker = await createSomagentWorker({ config, logger, connection, pool, redis, holder: started });
    return {
      worker,
      holder: started,
      run: async () => {
        try {
          await worker.run();
        } finally {
          await close();
        }
      },
    };
  } catch (err) {
    await close();
    throw err;
  }
}
