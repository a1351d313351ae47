import { collectDefaultMetrics, Registry } from 'prom-client';
import { loadConfig } from '../config';
import { onShutdownSignal } from '../shutdown-signal';
import {
  createKafka,
  createProducer,
  ensureTopics,
  kafkaOptionsFromConfig,
  retryUntil,
  startMetricsServer,
} from '../kafka';
import { createLogger } from '../logger';
import { createPool, migrate } from '../postgres';
import { createRelay } from './relay';

/**
 * The relay process: publishes the outbox to Kafka until SIGINT/SIGTERM. Run as many as you
 * like; they share the work without reordering any key. Metrics on METRICS_PORT at /metrics.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.LOG_LEVEL, name: 'relay' });
  await migrate({ url: config.DATABASE_URL, logger });
  const pool = createPool({ url: config.DATABASE_URL, max: 2, applicationName: 'somagent-relay' });
  const kafka = createKafka(kafkaOptionsFromConfig(config, { logger, component: 'relay' }));
  const producer = createProducer(kafka, { idempotent: config.KAFKA_IDEMPOTENT });
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const { signal: shutdownSignal, stopping } = onShutdownSignal();
  try {
    // Kafka may be down when we start: wait for it (the outbox keeps everything meanwhile).
    await retryUntil(() => producer.connect(), {
      logger,
      what: 'connect the relay producer to Kafka',
      signal: shutdownSignal,
    });
    await ensureTopics(kafka, logger);
    const relay = createRelay({
      pool,
      producer,
      logger,
      registry,
      batchSize: config.RELAY_BATCH_SIZE,
      pollIntervalMs: config.RELAY_POLL_INTERVAL_MS,
    });
    const metrics = await startMetricsServer(registry, { port: config.METRICS_PORT });
    logger.info({ metricsPort: metrics.port }, 'serving metrics');
    relay.start();
    await stopping;
    await relay.stop();
    await metrics.close();
  } finally {
    await producer.disconnect().catch(() => undefined);
    await pool.end();
  }
}

main().catch((err: unknown) => {
  if (err instanceof Error && err.name === 'AbortError') process.exit(0);
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
