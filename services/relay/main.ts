import { collectDefaultMetrics, Registry } from 'prom-client';
import { loadConfig } from '../config';
import { createKafka, createProducer, ensureTopics, startMetricsServer } from '../kafka';
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
  const kafka = createKafka({
    brokers: config.KAFKA_BROKERS,
    clientId: `${config.KAFKA_CLIENT_ID}-relay`,
    logger,
  });
  const producer = createProducer(kafka, { idempotent: config.KAFKA_IDEMPOTENT });
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  try {
    await producer.connect();
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
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await relay.stop();
    await metrics.close();
  } finally {
    await producer.disconnect().catch(() => undefined);
    await pool.end();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
