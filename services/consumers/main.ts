import { collectDefaultMetrics, Registry } from 'prom-client';
import { loadConfig } from '../config';
import { onShutdownSignal } from '../shutdown-signal';
import { createKafka, ensureTopics, kafkaOptionsFromConfig, startMetricsServer } from '../kafka';
import { createLogger } from '../logger';
import { createPool, migrate } from '../postgres';
import { createAuditConsumer } from './audit-consumer';
import { startWhenReachable } from './start-when-reachable';
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
  const kafka = createKafka(kafkaOptionsFromConfig(config, { logger, component: 'consumers' }));
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const options = { kafka, pool, logger, registry, sessionTimeout: config.KAFKA_SESSION_TIMEOUT_MS };
  const consumers = [createAuditConsumer(options), createTrainingConsumer(options)];
  const { signal: shutdownSignal, stopping } = onShutdownSignal();
  try {
    const metrics = await startMetricsServer(registry, { port: config.METRICS_PORT });
    logger.info({ metricsPort: metrics.port }, 'serving metrics');
    await ensureTopics(kafka, logger);
    // Kafka may be down when we start: wait for it rather than crash-loop.
    await Promise.all(
      consumers.map((c) =>
        startWhenReachable(c, { logger, what: 'start a Kafka consumer', signal: shutdownSignal }),
      ),
    );
    await stopping;
    await metrics.close();
  } finally {
    await Promise.all(consumers.map((c) => c.stop().catch(() => undefined)));
    await pool.end();
  }
}

main().catch((err: unknown) => {
  if (err instanceof Error && err.name === 'AbortError') process.exit(0);
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
