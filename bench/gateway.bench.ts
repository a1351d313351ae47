/**
 * The gateway's cost over a direct Temporal client start, and 100 watch streams at once.
 *
 * 1. StartCapsuleRun latency, one call at a time, through the gateway (gRPC + JWT check + Redis
 *    token bucket and lease + registry lookup + parameter check + start + the idempotency check
 *    of its request id) against `client.workflow.start` of the same input straight to the
 *    devserver. Both start on a task queue no worker polls, so the numbers hold the start path
 *    only. Then throughput with GATEWAY_BENCH_CONCURRENCY calls in flight.
 * 2. GATEWAY_BENCH_WATCHES runs of the meeting summary (a behaving local model, a real worker),
 *    each watched by its own stream from the start: every stream must end with the result and
 *    carry every event of its run's log (compared with the run's `events` query) — none lost.
 *
 * `npm run bench gateway` (env: GATEWAY_BENCH_STARTS, default 300; GATEWAY_BENCH_CONCURRENCY,
 * default 16; GATEWAY_BENCH_WATCHES, default 100). Goal: gateway adds ≤ 2 ms p50.
 */
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createCapsuleRegistry } from '../capsules';
import { createJwtVerifier } from '../services/auth';
import {
  createCapsuleClient,
  createTenantLimits,
  startGatewayServer,
  type WatchEvent,
} from '../services/gateway';
import { createLogger } from '../services/logger';
import { publishLibrary } from '../services/platform/publish-library';
import { startCapsuleRun } from '../services/runs';
import { eventsQuery } from '../workflows/shared/definitions';
import { behavingModelEnv, startRuntimeHarness } from '../test/fixtures/runtime/harness';
import { startBehavingModel } from '../test/support/fake-slm';
import { percentile, report } from './format';

const STARTS = Number(process.env.GATEWAY_BENCH_STARTS ?? 300);
const CONCURRENCY = Number(process.env.GATEWAY_BENCH_CONCURRENCY ?? 16);
const WATCHES = Number(process.env.GATEWAY_BENCH_WATCHES ?? 100);
const WARM_UP = 30;
const KEY = 'sk-gateway-bench-0123456789';
const TRANSCRIPT = 'Ana: Decision: we ship on Monday.\nBo: I will write the release notes by Friday.';

export default async function gatewayBench(): Promise<void> {
  // The runtime harness takes the test run's Redis settings: a private prefix for this bench.
  process.env.REDIS_URL ??= 'redis://127.0.0.1:6379';
  process.env.REDIS_KEY_PREFIX ??= `bench-gateway-${randomUUID().slice(0, 8)}:`;
  process.stdout.write(`load average at start: ${loadavg()[0]!.toFixed(2)}\n`);
  const model = await startBehavingModel({ apiKey: KEY });
  const h = await startRuntimeHarness('bench_gateway', {
    constitution: 'default',
    env: behavingModelEnv(model, KEY),
  });
  await publishLibrary(h.store.pool, { snapshotTenants: ['bench'] });
  const pair = await generateKeyPair('EdDSA');
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'bench', alg: 'EdDSA' };
  const token = await new SignJWT({ tenant: 'bench', scope: 'capsule:run capsule:read capsule:approve' })
    .setProtectedHeader({ alg: 'EdDSA', kid: 'bench' })
    .setIssuer('bench')
    .setAudience('bench')
    .setSubject('bench')
    .setExpirationTime('1h')
    .sign(pair.privateKey);
  const gatewayOn = (taskQueue: string) =>
    startGatewayServer(
      {
        client: h.client,
        pool: h.store.pool,
        registry: createCapsuleRegistry({ pool: h.store.pool }),
        verifier: createJwtVerifier({
          jwks: { keys: [jwk] },
          issuer: 'bench',
          audience: 'bench',
          cacheMs: 30_000,
        }),
        limits: createTenantLimits({ redis: h.redis, ratePerSecond: 1e6, burst: 1e6, maxConcurrent: 10_000 }),
        taskQueue,
        logger: createLogger({ level: 'silent' }),
        maxMessageBytes: 4 * 1024 * 1024,
        watchPollMs: 250,
      },
      { host: '127.0.0.1', port: 0 },
    );
  const idle = await gatewayOn(`bench-idle-${randomUUID().slice(0, 8)}`);
  const working = await gatewayOn(h.taskQueue);
  const files = [{ path: 'meetings/transcript.txt', content: TRANSCRIPT }];
  try {
    // 1. Starts: gateway vs the Temporal client, alternating so both see the same machine.
    const gateway = createCapsuleClient({ address: idle.address, token });
    const { capsuleVersion } = await gateway.startRun({
      capsule: 'meetings.transcript-summary@^1',
      files,
      requestId: randomUUID(),
    });
    const direct = async () => {
      const begun = performance.now();
      await h.client.workflow.start('capsuleWorkflow', {
        taskQueue: `bench-idle-direct`,
        workflowId: `bench-direct-${randomUUID()}`,
        args: [
          {
            capsule: `meetings.transcript-summary@${capsuleVersion}`,
            files,
            tenant: 'bench',
            trigger: { kind: 'api' },
          },
        ],
      });
      return performance.now() - begun;
    };
    // The shared start path in this process (registry, checks, search attributes, memo): what
    // the gateway adds on top of it is gRPC, the token check and the tenant limits.
    const registry = createCapsuleRegistry({ pool: h.store.pool });
    const inProcess = async () => {
      const begun = performance.now();
      await startCapsuleRun(
        { client: h.client, registry, taskQueue: 'bench-idle-direct' },
        {
          capsule: 'meetings.transcript-summary@^1',
          files,
          tenant: 'bench',
          trigger: { kind: 'api' },
          requestId: randomUUID(),
        },
      );
      return performance.now() - begun;
    };
    const viaGateway = async () => {
      const begun = performance.now();
      await gateway.startRun({ capsule: 'meetings.transcript-summary@^1', files, requestId: randomUUID() });
      return performance.now() - begun;
    };
    for (let i = 0; i < WARM_UP; i++) {
      await direct();
      await inProcess();
      await viaGateway();
    }
    const directMs: number[] = [];
    const inProcessMs: number[] = [];
    const gatewayMs: number[] = [];
    for (let i = 0; i < STARTS; i++) {
      directMs.push(await direct());
      inProcessMs.push(await inProcess());
      gatewayMs.push(await viaGateway());
    }
    directMs.sort((a, b) => a - b);
    inProcessMs.sort((a, b) => a - b);
    gatewayMs.sort((a, b) => a - b);
    report('start p50, Temporal client (baseline)', percentile(directMs, 50), 'ms');
    report('start p99, Temporal client (baseline)', percentile(directMs, 99), 'ms');
    report('start p50, startCapsuleRun in process', percentile(inProcessMs, 50), 'ms');
    report('start p50, gateway', percentile(gatewayMs, 50), 'ms');
    report('start p99, gateway', percentile(gatewayMs, 99), 'ms');
    report('gateway overhead p50', percentile(gatewayMs, 50) - percentile(directMs, 50), 'ms', '≤ 2 ms');
    const throughput = async (call: () => Promise<number>) => {
      let next = 0;
      const begun = performance.now();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next++ < STARTS) await call();
        }),
      );
      return STARTS / ((performance.now() - begun) / 1000);
    };
    report(
      `start throughput, Temporal client (${CONCURRENCY} in flight)`,
      await throughput(direct),
      'runs/s',
    );
    report(`start throughput, gateway (${CONCURRENCY} in flight)`, await throughput(viaGateway), 'runs/s');
    gateway.close();

    // 2. Watch streams: every run watched from its start to its result.
    const watcher = createCapsuleClient({ address: working.address, token });
    const begun = performance.now();
    const runs = await Promise.all(
      Array.from({ length: WATCHES }, () =>
        watcher.startRun({ capsule: 'meetings.transcript-summary@^1', files, requestId: randomUUID() }),
      ),
    );
    const streams = await Promise.all(
      runs.map(async (run) => {
        const seen: WatchEvent[] = [];
        for await (const event of watcher.watch(run.workflowId)) seen.push(event);
        return { run, seen };
      }),
    );
    const elapsed = (performance.now() - begun) / 1000;
    let lost = 0;
    let finishedCompleted = 0;
    let events = 0;
    for (const { run, seen } of streams) {
      events += seen.length;
      const last = seen.at(-1);
      if (last?.kind === 'finished' && last.finished.status === 'COMPLETED') finishedCompleted++;
      const log = await h.client.workflow
        .getHandle(run.workflowId)
        .query(eventsQuery, { after: 0, limit: 10_000 });
      const expected = log.events.filter((e) =>
        ['step.started', 'step.succeeded', 'step.failed', 'step.skipped', 'step.awaiting_review'].includes(
          e.type,
        ),
      ).length;
      const got = seen.filter((e) => e.kind === 'step').length;
      lost += Math.max(0, expected - got);
    }
    watcher.close();
    report(`watch streams held at once`, WATCHES, 'streams');
    report('watch streams ended with the result, Completed', finishedCompleted, 'streams', `${WATCHES}`);
    report('step events lost across all streams', lost, 'events', '0');
    report('watch events delivered', events, 'events');
    report(`${WATCHES} watched runs, start to last result`, elapsed, 's');
  } finally {
    await idle.close(1000);
    await working.close(1000);
    await h.close();
    await model.close();
  }
}
