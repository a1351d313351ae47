import { Client, Connection } from '@temporalio/client';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { clientConnectionOptions, loadConfig } from '../config';
import { startWhenReachable } from '../consumers';
import { createKafka, kafkaOptionsFromConfig, startMetricsServer } from '../kafka';
import { createLogger } from '../logger';
import { createDataConverter } from '../payloads';
import { createPool } from '../postgres';
import { onShutdownSignal } from '../shutdown-signal';
import { createTriggerConsumer } from './consumer';
import { eventDispatcherFor, startEventWebhook } from './start-webhook';

/**
 * The event-trigger process (`npm run triggers`): consumes EVENT_TRIGGERS_TOPIC and serves the
 * event webhook, starting a run for every capsule trigger an event matches, until SIGINT/SIGTERM.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.LOG_LEVEL, name: 'triggers' });
  const pool = createPool({ url: config.DATABASE_URL, max: 4, applicationName: 'somagent-triggers' });
  const connection = await Connection.connect(clientConnectionOptions(config));
  const client = new Client({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    dataConverter: createDataConverter({ pool, thresholdBytes: config.PAYLOAD_CODEC_THRESHOLD_BYTES }),
  });
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const dispatch = eventDispatcherFor({ client, pool, config });
  const consumer = createTriggerConsumer({
    kafka: createKafka(kafkaOptionsFromConfig(config, { logger, component: 'triggers' })),
    pool,
    logger,
    registry,
    dispatch,
    topic: config.EVENT_TRIGGERS_TOPIC,
    sessionTimeout: config.KAFKA_SESSION_TIMEOUT_MS,
  });
  const { signal, stopping } = onShutdownSignal();
  try {
    const webhook = await startEventWebhook({ config, dispatch, logger });
    const metrics = await startMetricsServer(registry, { port: config.METRICS_PORT });
    await startWhenReachable(consumer, { logger, what: 'start the event-trigger consumer', signal });
    await stopping;
    await webhook.close();
    await metrics.close();
  } finally {
    await consumer.stop().catch(() => undefined);
    await connection.close();
    await pool.end();
  }
}

main().catch((err: unknown) => {
  if (err instanceof Error && err.name === 'AbortError') process.exit(0);
  process.stderr.write(`triggers: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
