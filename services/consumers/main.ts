import { collectDefaultMetrics, Registry } from 'prom-client';
import { loadConfig } from '../config';
import { createKafka, ensureTopics, startMetricsServer } from '../kafka';
import { createLogger } from '../logger';
import { createPool, migrate } from '../postgres';
import { createAuditConsumer } from './audit-consumer';
import { createTrainingConsumer } from './training-consumer';

/**
 * The store consumers' process: audit events into `audit_events`, training events into
 * `training_events`, until SIGINT/SIGTERM. (Constitution updates are consumed inside each worker,
 * see `createConstitutionConsumer`.)
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.LOG_LEVEL, name: 'consumers' });
  await migrate({ url: config.DATABASE_URL, logger });
  const pool = createPool({ url: config.DATABASE_URL, max: 4, applicationName: 'somagent-consumers' });
  const kafka = createKafka({
    brokers: config.KAFKA_BROKERS,
    clientId: `${config.KAFKA_CLIENT_ID}-consumers`,
    logger,
  });
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const options = { kafka, pool, logger, sessionTimeout: config.KAFKA_SESSION_TIMEOUT_MS };
  const consumers = [createAuditConsumer(options), createTrainingConsumer(options)];
  try {
    await ensureTopics(kafka, logger);
    await Promise.all(consumers.map((c) => c.start()));
    const metrics = await startMetricsServer(registry, { port: config.METRICS_PORT });
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await metrics.close();
  } finally {
    await Promise.all(consumers.map((c) => c.stop().catch(() => undefined)));
    await pool.end();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
