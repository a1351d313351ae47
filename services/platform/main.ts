import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Runtime } from '@temporalio/worker';
import { onShutdownSignal } from '../shutdown-signal';
import { startWorkerRuntime } from '../../workers/worker-runtime';
import { apiKeyFromConfig, clientConnectionOptions, loadConfig, redactUrl, type Config } from '../config';
import { prepareConstitutionTrust, startConstitutionService } from '../constitution';
import { startGateway } from '../gateway';
import { type SyncReport, syncCapsuleSchedules } from '../schedules';
import { eventDispatcherFor, startEventWebhook } from '../triggers';
import { createRedis } from '../redis';
import { createLogger } from '../logger';
import { formatReadinessIssue } from '../../capsules';
import { createDataConverter } from '../payloads';
import { createPool } from '../postgres';
import type { EmbeddedService } from './embedded-service';
import { ensureTemporal } from './ensure-temporal';
import { freePort, isPortFree } from './free-port';
import { checkLibraryReadiness, formatLibraryReadiness } from './library-readiness';
import { publishLibrary } from './publish-library';
import { reportSampleOutcome } from './sample-outcome';
import { createStartSdkLogger } from './sdk-logger';
import { runSampleCapsule, SAMPLE_CAPSULE } from './sample-run';
import { startInfrastructure } from './start-infrastructure';
import { identityModeFrom, type IdentityMode } from '../../activities/identity';
import { embeddedTemporalAuth, platformTemporalApiKey, temporalAuthLine } from './temporal-auth';

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
    const pool = createPool({ url: infra.config.DATABASE_URL, max: 4, applicationName: 'somagent-start' });
    started.push({ kind: 'pool', address: '', stop: () => pool.end() });
    // Once for every component: startInfrastructure migrated; the trust (and the dev default
    // constitution) is prepared here and shared by the constitution service, the worker and an
    // embedded devserver in auth mode (the development key verifies local tokens).
    const trust = await prepareConstitutionTrust({ config: infra.config, logger, pool });

    const configuredApiKey = apiKeyFromConfig(config);
    if (configuredApiKey)
      started.push({
        kind: 'temporal-token',
        address: '',
        stop: () => Promise.resolve(configuredApiKey.close()),
      });
    const devserverAuth = embeddedTemporalAuth(config, trust.devPublicJwk);
    const temporal = await ensureTemporal({
      address: config.TEMPORAL_ADDRESS,
      embedded: config.SOMAGENT_EMBEDDED,
      databaseUrl: infra.config.DATABASE_URL,
      devserverPort: config.DEVSERVER_PORT,
      webUiPort: config.WEB_UI_PORT,
      connectOptions: clientConnectionOptions(config, configuredApiKey),
      ...(devserverAuth ? { auth: devserverAuth } : {}),
      logger,
    });
    if (temporal.started) started.push(temporal.started);
    const temporalApiKey = await platformTemporalApiKey({
      config,
      configured: configuredApiKey,
      embeddedAuth: temporal.started ? devserverAuth : undefined,
      logger,
    });
    if (temporalApiKey && temporalApiKey !== configuredApiKey) {
      started.push({
        kind: 'temporal-token',
        address: '',
        stop: () => Promise.resolve(temporalApiKey.close()),
      });
    }
    const platformConfig = {
      ...infra.config,
      TEMPORAL_ADDRESS: temporal.address,
      // `npm start` runs no Kafka and no relay: the worker polls for constitution updates unless
      // CONSTITUTION_RELOAD_KAFKA is set explicitly (e.g. with `npm run relay` and a broker up).
      CONSTITUTION_RELOAD_KAFKA: process.env.CONSTITUTION_RELOAD_KAFKA
        ? config.CONSTITUTION_RELOAD_KAFKA
        : false,
    };

    const constitution = await startConstitutionService({
      config: platformConfig,
      logger,
      port: (await isPortFree(config.CONSTITUTION_PORT)) ? config.CONSTITUTION_PORT : await freePort(),
      migrated: true,
      trust,
    });
    started.push({ kind: 'constitution', address: constitution.url, stop: () => constitution.close() });

    const library = await publishLibrary(pool);

    const readiness = await checkLibraryReadiness(platformConfig);

    const runtime = await startWorkerRuntime({
      config: platformConfig,
      logger,
      trustStore: trust.trustStore,
      ...(trust.devPublicJwk ? { identityFallbackKeys: { keys: [trust.devPublicJwk] } } : {}),
      ...(temporalApiKey ? { temporalApiKey } : {}),
      // A busy METRICS_PORT (another worker on this machine) must not stop a local start.
      metrics: { port: (await isPortFree(config.METRICS_PORT)) ? config.METRICS_PORT : 0 },
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

    const connection = await Connection.connect(clientConnectionOptions(platformConfig, temporalApiKey));
    started.push({ kind: 'client', address: '', stop: () => connection.close() });
    const client = new Client({
      connection,
      namespace: platformConfig.TEMPORAL_NAMESPACE,
      dataConverter: createDataConverter({ pool }),
    });
    const redis = createRedis({
      url: platformConfig.REDIS_URL,
      keyPrefix: platformConfig.REDIS_KEY_PREFIX,
      connectionName: 'somagent-gateway',
    });
    started.push({ kind: 'redis', address: '', stop: () => Promise.resolve(redis.disconnect()) });
    // Outside production, and unless AUTH_JWKS / AUTH_PUBLIC_KEY name the identity provider's
    // keys, the gateway trusts the local development key `somagent run` signs local tokens with.
    const devKeys = trust.devPublicJwk ? { fallbackKeys: { keys: [trust.devPublicJwk] } } : {};
    const gateway = await startGateway({
      config: platformConfig,
      client,
      pool,
      redis,
      logger,
      port: (await isPortFree(config.GATEWAY_PORT)) ? config.GATEWAY_PORT : await freePort(),
      ...devKeys,
    });
    started.push({ kind: 'gateway', address: gateway.address, stop: () => gateway.close() });
    const webhook = await startEventWebhook({
      config: platformConfig,
      dispatch: eventDispatcherFor({ client, pool, config: platformConfig }),
      logger,
      port: (await isPortFree(config.EVENT_WEBHOOK_PORT)) ? config.EVENT_WEBHOOK_PORT : await freePort(),
      ...devKeys,
    });
    started.push({ kind: 'webhook', address: webhook.url, stop: () => webhook.close() });
    // The library's schedule triggers become Temporal Schedules (the Web UI's Schedules page).
    const schedules = await syncCapsuleSchedules({
      client,
      pool,
      taskQueue: platformConfig.TEMPORAL_TASK_QUEUE,
    });
    out('SomaGent platform');
    out(
      `  postgres      ${redactUrl(platformConfig.DATABASE_URL)}${note(infra.started, 'embedded-postgres')}`,
    );
    out(`  redis         ${platformConfig.REDIS_URL}${note(infra.started, 'redis-server')}`);
    out(`  temporal      ${temporal.address}${temporal.started ? '  (started: devserver)' : ''}`);
    if (temporal.webUi) {
      out(
        'url' in temporal.webUi
          ? `  web ui        ${temporal.webUi.url}  (Temporal Web UI: start capsuleWorkflow, approve, read histories)`
          : `  web ui        ${temporal.webUi.off}`,
      );
    }
    out(
      `  ${temporalAuthLine({
        config,
        address: temporal.address,
        embedded: Boolean(temporal.started),
        minted: temporalApiKey !== undefined && temporalApiKey !== configuredApiKey,
      })}`,
    );
    out(`  constitution  ${constitution.url}  (version ${runtime.holder.version ?? 'none'})`);
    out(
      `  worker        task queue ${platformConfig.TEMPORAL_TASK_QUEUE}, namespace ${platformConfig.TEMPORAL_NAMESPACE}`,
    );
    out(`  identity      ${identityLine(identityModeFrom(platformConfig))}`);
    out(`  library       ${library.total} capsules and personas in the registry (${library.published} new)`);
    if (runtime.metrics) out(`  metrics       ${runtime.metrics.url}`);
    out(`  gateway       ${gateway.address}  (gRPC somagent.v1.CapsuleService, health, reflection)`);
    out(`  schedules     ${scheduleSummary(schedules)}`);
    out(`  events        ${webhook.url}  (POST an event envelope; a JWT with events:publish)`);
    out(
      `  models        ${readiness.providers.length > 0 ? `providers with a key: ${readiness.providers.join(', ')}` : 'no SLM provider has a key'}`,
    );
    for (const line of formatLibraryReadiness(readiness.issues)) out(`    ${line}`);

    const sampleId = SAMPLE_CAPSULE.split('@')[0]!;
    const sampleIssues = readiness.issuesOf(sampleId);
    if (sampleIssues.length === 0) {
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
      out(`The sample capsule (${SAMPLE_CAPSULE}) did not run: its personas cannot call their models here.`);
      for (const issue of sampleIssues) out(`  ${formatReadinessIssue(issue)}`);
      out('Set the variable (OPENAI_BASE_URL points at any OpenAI-compatible server serving the same');
      out('model names), then run `npm start` again.');
      // Only a missing key is the user's choice; a model that cannot run at all is a failure.
      if (sampleIssues.some((issue) => issue.severity === 'error')) exitCode = 1;
    }

    if (once) return exitCode;
    out('');
    out('Serving until Ctrl-C. From another shell:');
    const reachable = {
      ...platformConfig,
      // Clients default to 127.0.0.1 on the default port: anywhere else goes in the env file.
      ...(gateway.address !== `127.0.0.1:${loadConfig({}).GATEWAY_PORT}`
        ? { GATEWAY_ADDRESS: gateway.address }
        : {}),
    };
    for (const line of await serveHints(reachable)) out(`  ${line}`);
    await onShutdownSignal().stopping;
    return exitCode;
  } finally {
    await stopAll();
  }
}

/** The variables the CLI needs to reach this platform. */
const CLI_VARIABLES = [
  'DATABASE_URL',
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_TASK_QUEUE',
  // With jwt, the CLI signs its Temporal token with the development key, as for the gateway.
  'TEMPORAL_AUTH',
  'GATEWAY_ADDRESS',
  // `somagent run` signs its local token with the development key kept there.
  'SOMAGENT_DATA_DIR',
] as const;

/**
 * Commands that work against this platform from another shell, where none of this process's
 * variables are set. When the platform runs anywhere but the defaults (an embedded database
 * with its generated password, a devserver on another port, variables set for `npm start`
 * only), the values go to an owner-only env file the commands read, so no credential is printed.
 */
async function serveHints(running: Config): Promise<string[]> {
  const defaults = loadConfig({});
  const differ = CLI_VARIABLES.filter((name) => running[name] !== defaults[name]);
  let cli = 'npx somagent';
  if (differ.length > 0) {
    const file = path.resolve(running.SOMAGENT_DATA_DIR, 'platform.env');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, differ.map((name) => `${name}=${running[name]}\n`).join(''), { mode: 0o600 });
    cli = `env $(cat ${path.relative(process.cwd(), file) || file}) npx somagent`;
  }
  return [
    `${cli} capsule list`,
    `${cli} capsule run ${SAMPLE_CAPSULE} -p meetingTitle='Weekly sync' --file transcript=notes.txt --wait`,
    `${cli} capsule status <workflow-id>`,
    `${cli} run ${SAMPLE_CAPSULE} -p meetingTitle='Weekly sync' --file meetings/transcript.txt=notes.txt --watch`,
    `Temporal clients (SDKs, the temporal CLI) connect to ${running.TEMPORAL_ADDRESS}, namespace ${running.TEMPORAL_NAMESPACE}` +
      (running.TEMPORAL_AUTH === 'jwt'
        ? `, with a JWT (TEMPORAL_API_KEY) whose permissions claim holds "${running.TEMPORAL_NAMESPACE}:write" ` +
          '(the commands above sign one with the development key).'
        : '.'),
    `gRPC services call ${running.GATEWAY_ADDRESS ?? `127.0.0.1:${running.GATEWAY_PORT}`} (somagent.v1.CapsuleService; services/gateway/proto), with a JWT bearer.`,
  ];
}

function scheduleSummary(report: SyncReport): string {
  const total = report.created.length + report.updated.length + report.unchanged.length;
  const changes = [
    report.created.length > 0 ? `${report.created.length} created` : '',
    report.updated.length > 0 ? `${report.updated.length} updated` : '',
    report.deleted.length > 0 ? `${report.deleted.length} deleted` : '',
    report.conflicts.length > 0
      ? `${report.conflicts.length} left alone (id taken by a schedule not ours)`
      : '',
  ].filter(Boolean);
  const ids = [...report.created, ...report.updated, ...report.unchanged].map((e) =>
    `${e.capsule} ${e.spec ?? ''}`.trim(),
  );
  return `${total} from capsule triggers${changes.length > 0 ? ` (${changes.join(', ')})` : ''}${ids.length > 0 ? `: ${ids.join('; ')}` : ''}`;
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

/** What the identity mode means for the person at the keyboard. */
function identityLine(mode: IdentityMode): string {
  return mode === 'strict'
    ? 'strict (runs need a verified caller; approvals and reviews a signed token: somagent approve --token-file)'
    : 'local (a run without a verified caller keeps the tenant its input names; unsigned approvals count, recorded as unverified; IDENTITY_MODE=strict to require tokens)';
}
