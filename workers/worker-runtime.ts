import { NativeConnection, type Worker } from '@temporalio/worker';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { TrustStore } from '../constitution';
import type { VerificationKeys } from '../services/auth';
import {
  apiKeyFromConfig,
  nativeConnectionOptions,
  type Config,
  type TemporalApiKey,
} from '../services/config';
import { prepareConstitutionTrust } from '../services/constitution';
import { createKafka, kafkaOptionsFromConfig, startMetricsServer } from '../services/kafka';
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
  /** Where the Prometheus metrics are served (null without the `metrics` option). */
  metrics: { port: number; url: string } | null;
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
  identityFallbackKeys: preparedFallbackKeys,
  metricsRegistry: givenRegistry,
  metrics: metricsListen,
  temporalApiKey: givenApiKey,
}: {
  config: Config;
  logger: Logger;
  /**
   * The token the worker sends to Temporal (`npm start` passes the local tokens it mints);
   * followed when it changes. @default from TEMPORAL_API_KEY / TEMPORAL_API_KEY_FILE, else none
   */
  temporalApiKey?: TemporalApiKey;
  /** Constitution trust prepared by the caller (`npm start` shares it with the service). */
  trustStore?: TrustStore;
  /** With `trustStore`: keys approvers' tokens fall back to (the local development key). */
  identityFallbackKeys?: VerificationKeys;
  /** Where the gate's metrics go; omitted: a new registry when `metrics` is set, else none. */
  metricsRegistry?: Registry;
  /**
   * Serve the gate's metrics and Node's process metrics on `GET /metrics` at `host:port`
   * (`npm run worker` and `npm start` pass METRICS_PORT; port 0 picks a free one). The server is
   * closed with the rest when `run()` returns.
   * @default not served
   */
  metrics?: { port: number; /** @default '0.0.0.0' */ host?: string };
}): Promise<WorkerRuntime> {
  let metricsRegistry = givenRegistry;
  if (metricsListen && !metricsRegistry) {
    metricsRegistry = new Registry();
    collectDefaultMetrics({ register: metricsRegistry });
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
  let apiKey: TemporalApiKey | undefined;
  let stopFollowingApiKey = (): void => undefined;
  let holder: ConstitutionHolder | undefined;
  let subscription: ConstitutionSubscription | null = null;
  let metricsServer: Awaited<ReturnType<typeof startMetricsServer>> | undefined;
  const close = async () => {
    await metricsServer?.close();
    await subscription?.stop();
    holder?.stop();
    stopFollowingApiKey();
    if (!givenApiKey) apiKey?.close();
    await connection
      ?.close()
      .catch((err: unknown) => logger.error({ err }, 'closing the Temporal connection failed'));
    redis.disconnect();
    await pool.end().catch((err: unknown) => logger.error({ err }, 'closing the Postgres pool failed'));
  };
  try {
    // First, so a port in use fails the start before anything slow; the registry is read per
    // scrape, so metrics the worker registers later are served too.
    if (metricsListen && metricsRegistry) metricsServer = await serveMetrics(metricsRegistry, metricsListen);
    apiKey = givenApiKey ?? apiKeyFromConfig(config);
    const native = await NativeConnection.connect(nativeConnectionOptions(config, apiKey));
    connection = native;
    if (apiKey) {
      stopFollowingApiKey = apiKey.onChange((token) => {
        native
          .setApiKey(token)
          .catch((err: unknown) => logger.error({ err }, 'updating the Temporal token failed'));
      });
    }
    await registerSearchAttributes({
      operatorService: connection.operatorService,
      namespace: config.TEMPORAL_NAMESPACE,
      logger,
    });
    const trust = preparedTrustStore
      ? { trustStore: preparedTrustStore, fallback: preparedFallbackKeys }
      : await prepareConstitutionTrust({ config, logger, pool }).then((t) => ({
          trustStore: t.trustStore,
          fallback: t.devPublicJwk ? { keys: [t.devPublicJwk] } : undefined,
        }));
    const trustStore = trust.trustStore;
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
      ...(trust.fallback ? { identityFallbackKeys: trust.fallback } : {}),
    });
    return {
      worker,
      holder: started,
      constitutionSubscription: subscription,
      metrics: metricsServer
        ? { port: metricsServer.port, url: metricsUrl(metricsListen?.host, metricsServer.port) }
        : null,
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

async function serveMetrics(registry: Registry, { port, host = '0.0.0.0' }: { port: number; host?: string }) {
  try {
    return await startMetricsServer(registry, { port, host });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    throw new Error(`metrics: port ${port} on ${host} is in use: set METRICS_PORT to a free port`, {
      cause: err,
    });
  }
}

/** An address a browser or Prometheus on this machine can use (a wildcard bind is reachable on loopback). */
function metricsUrl(host: string | undefined, port: number): string {
  const shown = !host || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}/metrics`;
}
