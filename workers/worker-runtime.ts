import { NativeConnection, type Worker } from '@temporalio/worker';
import type { Registry } from 'prom-client';
import type { TrustStore } from '../constitution';
import type { Config } from '../services/config';
import { prepareConstitutionTrust } from '../services/constitution';
import { createKafka, kafkaOptionsFromConfig } from '../services/kafka';
import type { Logger } from '../services/logger';
import { createPool } from '../services/postgres';
import { createRedis } from '../services/redis';
import { createSomagentWorker } from './create-worker';
import {
  createConstitutionHolder,
  startConstitutionSubscription,
  type ConstitutionHolder,
  type ConstitutionSubscription,
} from './gate';
import { registerSearchAttributes } from './register-search-attributes';

export interface WorkerRuntime {
  worker: Worker;
  /** The constitution in force: `holder.version` / `holder.hash` are the active version. */
  holder: ConstitutionHolder;
  /** The Kafka hot reload (null when `CONSTITUTION_RELOAD_KAFKA=false`). */
  constitutionSubscription: ConstitutionSubscription | null;
  /** Runs until `worker.shutdown()`, then closes every connection the runtime opened. */
  run(): Promise<void>;
}

/**
 * The worker's composition root: Postgres pool, Redis, Temporal connection, constitution trust
 * (dev-signed default outside production) and holder (polling Postgres every
 * `CONSTITUTION_POLL_INTERVAL_MS`, plus the Kafka hot reload unless `CONSTITUTION_RELOAD_KAFKA`
 * is off), then the worker. `npm run worker` and `npm start` both start workers this way. On a
 * failure while starting, whatever was opened is closed before the error propagates.
 */
export async function startWorkerRuntime({
  config,
  logger,
  trustStore: preparedTrustStore,
  metricsRegistry,
}: {
  config: Config;
  logger: Logger;
  /** Constitution trust prepared by the caller (`npm start` shares it with the service). */
  trustStore?: TrustStore;
  /** Where the gate's metrics go (`npm run worker` serves it on METRICS_PORT); omitted: none. */
  metricsRegistry?: Registry;
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
  let subscription: ConstitutionSubscription | null = null;
  const close = async () => {
    await subscription?.stop();
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
    const trustStore =
      preparedTrustStore ?? (await prepareConstitutionTrust({ config, logger, pool })).trustStore;
    const started = createConstitutionHolder({
      pool,
      trustStore,
      logger,
      pollIntervalMs: config.CONSTITUTION_POLL_INTERVAL_MS,
    });
    holder = started;
    await started.start();
    if (config.CONSTITUTION_RELOAD_KAFKA) {
      subscription = startConstitutionSubscription({
        kafka: createKafka(kafkaOptionsFromConfig(config, { logger, component: 'worker' })),
        pool,
        holder: started,
        logger,
        sessionTimeout: config.KAFKA_SESSION_TIMEOUT_MS,
      });
    }
    const worker = await createSomagentWorker({
      config,
      logger,
      connection,
      pool,
      redis,
      holder: started,
      ...(metricsRegistry ? { metricsRegistry } : {}),
    });
    return {
      worker,
      holder: started,
      constitutionSubscription: subscription,
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
