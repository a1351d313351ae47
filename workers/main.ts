import { loadConfig } from '../services/config';
import { createLogger } from '../services/logger';
import { startWorkerRuntime } from './worker-runtime';

/**
 * Entry point of the SomaGent worker (`npm run worker`). SIGINT/SIGTERM shut the worker down
 * gracefully; every connection is closed once `run()` returns. Prometheus metrics (the gate's
 * decisions, timings and the constitution version in force, plus process metrics) on
 * METRICS_PORT at /metrics.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.LOG_LEVEL, name: 'worker' });
  const runtime = await startWorkerRuntime({ config, logger, metrics: { port: config.METRICS_PORT } });
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'worker shutting down');
    runtime.worker.shutdown();
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  logger.info(
    {
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      namespace: config.TEMPORAL_NAMESPACE,
      constitution: runtime.holder.version,
      metricsPort: runtime.metrics?.port,
    },
    'worker running',
  );
  await runtime.run();
}

main().catch((err: unknown) => {
  process.stderr.write(`worker: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
