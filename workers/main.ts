import { NativeConnection } from '@temporalio/worker';
import { createTrustStore } from '../constitution';
import { loadJwks, mergeJwks } from '../services/auth';
import { loadConfig } from '../services/config';
import {
  createConstitutionStore,
  loadOrCreateDevSigningKey,
  publishDefaultIfEmpty,
} from '../services/constitution';
import { createLogger } from '../services/logger';
import { createPool } from '../services/postgres';
import { createRedis } from '../services/redis';
import { createSomagentWorker } from './create-worker';
import { createConstitutionHolder } from './gate';

/** Polls for a newer constitution this often when no Kafka hot reload reaches the worker. */
const CONSTITUTION_POLL_MS = 30_000;

/**
 * Entry point of the SomaGent worker (`npm run worker`): config → logger → Postgres, Redis,
 * Temporal connection → constitution holder (outside production, a dev-signed default
 * constitution is published when none exists) → worker. SIGINT/SIGTERM shut the worker down
 * gracefully; everything is closed once `run()` returns.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.LOG_LEVEL, name: 'worker' });
  const production = config.NODE_ENV === 'production';
  if (production && !config.AUTH_JWKS) {
    throw new Error('AUTH_JWKS must be set in production: it holds the keys constitutions are signed with');
  }
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
  let holder: ReturnType<typeof createConstitutionHolder> | undefined;
  try {
    connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
    const authJwks = config.AUTH_JWKS ? loadJwks(config.AUTH_JWKS) : { keys: [] };
    const devKey = production
      ? null
      : await loadOrCreateDevSigningKey({ dataDir: config.SOMAGENT_DATA_DIR, logger });
    const trustStore = createTrustStore(
      devKey ? mergeJwks(authJwks, { keys: [devKey.publicJwk] }) : authJwks,
    );
    if (devKey && config.CONSTITUTION_BOOTSTRAP_DEFAULT) {
      await publishDefaultIfEmpty({ store: createConstitutionStore(pool), trustStore, key: devKey, logger });
    }
    holder = createConstitutionHolder({ pool, trustStore, logger, pollIntervalMs: CONSTITUTION_POLL_MS });
    await holder.start();

    const worker = await createSomagentWorker({ config, logger, connection, pool, redis, holder });
    const shutdown = (signal: string) => {
      logger.info({ signal }, 'worker shutting down');
      worker.shutdown();
    };
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
    logger.info(
      {
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        namespace: config.TEMPORAL_NAMESPACE,
        constitution: holder.version,
      },
      'worker running',
    );
    await worker.run();
  } finally {
    holder?.stop();
    await connection
      ?.close()
      .catch((err: unknown) => logger.error({ err }, 'closing the Temporal connection failed'));
    redis.disconnect();
    await pool.end().catch((err: unknown) => logger.error({ err }, 'closing the Postgres pool failed'));
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`worker: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
