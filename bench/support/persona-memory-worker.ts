/**
 * The worker process of `bench/persona-memory.bench.ts`: the production worker shape
 * (`createSomagentWorker`: every workflow and activity, the constitution gate, the payload codec)
 * with a workflow cache of `BENCH_MAX_CACHED_WORKFLOWS`, composed like `workers/worker-runtime.ts`
 * but with the bench's trust key. Forked with an IPC channel and `--expose-gc`; answers
 * `{ type: 'measure' }` with its memory after a full GC and the worker's status, and exits on
 * `{ type: 'stop' }`.
 *
 * `BENCH_WORKFLOWS_PATH` set: the worker runs that module bundled alone (the baseline workflow)
 * instead of the SomaGent bundle, everything else unchanged, so the two differ only in workflow code.
 */
import { bundleWorkflowCode, NativeConnection } from '@temporalio/worker';
import { createTrustStore } from '../../constitution';
import { apiKeyFromConfig, loadConfig, nativeConnectionOptions } from '../../services/config';
import { createLogger } from '../../services/logger';
import { createPool } from '../../services/postgres';
import { createRedis } from '../../services/redis';
import { createSomagentWorker } from '../../workers/create-worker';
import { createConstitutionHolder } from '../../workers/gate';
import { bundleSomagentWorkflows } from '../../workers/workflow-bundle';

export interface MemoryReport {
  type: 'memory';
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  cachedWorkflows: number;
  inFlightActivations: number;
  inFlightActivities: number;
}

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: 'warn', name: 'bench-worker' });
  const pool = createPool({ url: config.DATABASE_URL, max: 8, applicationName: 'somagent-bench-worker' });
  const redis = createRedis({ url: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX });
  const connection = await NativeConnection.connect(
    nativeConnectionOptions(config, apiKeyFromConfig(config)),
  );
  const trustStore = createTrustStore({ keys: [JSON.parse(process.env.BENCH_TRUST_JWK!) as never] });
  const holder = createConstitutionHolder({ pool, trustStore, logger });
  await holder.start();
  const baselinePath = process.env.BENCH_WORKFLOWS_PATH;
  const bundle = baselinePath
    ? await bundleWorkflowCode({ workflowsPath: baselinePath })
    : await bundleSomagentWorkflows();
  const worker = await createSomagentWorker({
    config,
    logger,
    connection,
    pool,
    redis,
    holder,
    workflowBundle: { code: bundle.code },
    maxCachedWorkflows: Number(process.env.BENCH_MAX_CACHED_WORKFLOWS),
  });
  const running = worker.run();
  const gc = (globalThis as { gc?: () => void }).gc;
  process.on('message', (message: { type: string }) => {
    if (message.type === 'measure') {
      // Twice: the first pass may only queue finalizers.
      gc?.();
      gc?.();
      const memory = process.memoryUsage();
      const status = worker.getStatus();
      const reply: MemoryReport = {
        type: 'memory',
        rss: memory.rss,
        heapUsed: memory.heapUsed,
        heapTotal: memory.heapTotal,
        external: memory.external,
        arrayBuffers: memory.arrayBuffers,
        cachedWorkflows: status.numCachedWorkflows,
        inFlightActivations: status.numInFlightWorkflowActivations,
        inFlightActivities: status.numInFlightActivities,
      };
      process.send!(reply);
    } else if (message.type === 'stop') {
      worker.shutdown();
    }
  });
  process.send!({ type: 'ready' });
  try {
    await running;
  } finally {
    holder.stop();
    await connection.close();
    redis.disconnect();
    await pool.end();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(
      `bench worker: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
