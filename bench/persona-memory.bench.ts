/**
 * Memory of a worker holding 1,000 concurrent persona workflows. The worker runs in a CHILD
 * process (`bench/support/persona-memory-worker.ts`: the production worker shape with the gate
 * and payload codec, workflow cache sized to hold them all), so its RSS and heap are the
 * worker's alone; the devserver, the client and the fake OpenAI server run in this process.
 *
 * Each persona asks the (fake) model, which answers with a `workspace.write`; the gate puts it in
 * review, and the workflow stays open, cached in the worker, waiting for an `approve` signal.
 * Reported: worker RSS and main-thread heap after a full GC, before and after, per workflow, and
 * the time from the first start until all are waiting and resident in the worker's cache.
 *
 * Then the same again with the baseline: a second worker process of the same shape whose bundle is
 * only `bench/workflows/waiting.ts` (a workflow waiting for a signal), so the report splits the
 * per-workflow figure into the SDK's floor and what SomaGent's workflow code adds.
 *
 * `npm run bench persona-memory` (env: PERSONA_BENCH_WORKFLOWS, default 1000).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { transcriptQuery } from '../workflows/shared/definitions';
import { createGateTestStore } from '../test/integration/workers/gate/constitution-store';
import { personaInput } from '../test/fixtures/runtime/persona-input';
import { startDevServerHarness, waitFor } from '../test/support/devserver';
import { openAiToolCalls, startFakeOpenAi } from '../test/support/fake-slm';
import globalTeardown from '../test/support/global-teardown';
import { report } from './format';
import type { MemoryReport } from './support/persona-memory-worker';

const WORKFLOWS = Number(process.env.PERSONA_BENCH_WORKFLOWS ?? 1000);
const WARM_UP = 20;
const START_CONCURRENCY = 50;
const API_KEY = 'sk-bench-0123456789';
const MiB = 1024 * 1024;

/** Sends `measure` to the worker process and resolves with its answer. */
function measure(child: ChildProcess): Promise<MemoryReport> {
  return new Promise((resolve) => {
    const onMessage = (message: { type: string }) => {
      if (message.type !== 'memory') return;
      child.off('message', onMessage);
      resolve(message as MemoryReport);
    };
    child.on('message', onMessage);
    child.send({ type: 'measure' });
  });
}

export default async function bench(): Promise<void> {
  const redisPrefix = `somagent-bench-${randomBytes(4).toString('hex')}:`;
  const [devserver, store, openai, workspaceRoot] = await Promise.all([
    startDevServerHarness(),
    createGateTestStore('bench_persona_memory'),
    startFakeOpenAi({ apiKey: API_KEY }),
    mkdtemp(path.join(os.tmpdir(), 'somagent-bench-memory-')),
  ]);
  let child: ChildProcess | undefined;
  try {
    // v1 of the test constitution: workspace.write by a persona at trust 0.9 is in review.
    await store.publish(1);
    const spawnWorker = async (queue: string, workflowsPath?: string): Promise<ChildProcess> => {
      const forked = fork(path.join(__dirname, 'support/persona-memory-worker.ts'), [], {
        execArgv: ['--import', 'tsx', '--expose-gc'],
        env: {
          PATH: process.env.PATH,
          NODE_ENV: 'test',
          LOG_LEVEL: 'warn',
          DATABASE_URL: store.pool.options.connectionString,
          REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
          REDIS_KEY_PREFIX: redisPrefix,
          TEMPORAL_ADDRESS: devserver.address,
          TEMPORAL_NAMESPACE: devserver.namespace,
          TEMPORAL_TASK_QUEUE: queue,
          OPENAI_API_KEY: API_KEY,
          OPENAI_BASE_URL: openai.baseURL,
          WORKSPACE_ROOT: workspaceRoot,
          SLM_RATE_LIMITS: 'openai=1000000',
          BENCH_TRUST_JWK: JSON.stringify(store.signer.publicJwk),
          BENCH_MAX_CACHED_WORKFLOWS: String(WORKFLOWS + WARM_UP + 100),
          ...(workflowsPath ? { BENCH_WORKFLOWS_PATH: workflowsPath } : {}),
        },
        // The SDK logs every ApprovalRequired as a failed activity: keep the tail for errors only.
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      });
      child = forked;
      let output = '';
      const keep = (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-4000));
      forked.stdout!.on('data', keep);
      forked.stderr!.on('data', keep);
      await new Promise<void>((resolve, reject) => {
        forked.once('message', () => resolve());
        forked.once('exit', (code) =>
          reject(new Error(`bench worker exited (${String(code)}) before running:\n${output}`)),
        );
      });
      return forked;
    };
    const stopWorker = async (forked: ChildProcess) => {
      if (forked.exitCode !== null || forked.signalCode !== null) return;
      const exited = new Promise((resolve) => forked.once('exit', resolve));
      forked.kill('SIGKILL');
      await exited;
    };
    const taskQueue = devserver.taskQueue('persona-memory');
    const worker = await spawnWorker(taskQueue);

    const start = (label: string) => {
      const workflowId = devserver.workflowId(label);
      return devserver.client.workflow.start('personaWorkflow', {
        taskQueue,
        workflowId,
        args: [personaInput(workflowId)],
      });
    };
    const write = () =>
      openAiToolCalls([{ name: 'workspace__write', arguments: { path: 'note.md', content: 'waiting' } }]);
    const reviewsRecorded = async () => {
      const { rows } = await store.pool.query<{ n: string }>(
        `SELECT count(*) AS n FROM outbox WHERE envelope->>'type' = 'gate.decision'
           AND envelope->'data'->>'outcome' = 'review'`,
      );
      return Number(rows[0]!.n);
    };
    /** The worker holds `expected` workflows in its cache and has nothing in flight. */
    const idleWith = async (forked: ChildProcess, expected: number) => {
      const m = await measure(forked);
      return m.cachedWorkflows >= expected && m.inFlightActivations === 0 && m.inFlightActivities === 0;
    };
    /** All `expected` personas wait for approval and the worker is idle with them cached. */
    const allWaiting = async (expected: number) => {
      if ((await reviewsRecorded()) < expected) return false;
      return idleWith(worker, expected);
    };

    // Warm-up: the worker's code paths, pools and workflow thread run once before the baseline.
    openai.enqueue(...Array.from({ length: WARM_UP }, write));
    await Promise.all(Array.from({ length: WARM_UP }, (_, i) => start(`warm-${i}`)));
    await waitFor('the warm-up personas to wait for approval', () => allWaiting(WARM_UP), 120_000);
    const before = await measure(worker);

    openai.enqueue(...Array.from({ length: WORKFLOWS }, write));
    const began = performance.now();
    const handles: Awaited<ReturnType<typeof start>>[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: START_CONCURRENCY }, async () => {
        while (next < WORKFLOWS) handles.push(await start(`p-${next++}`));
      }),
    );
    const startedSeconds = (performance.now() - began) / 1000;
    await waitFor(
      `${WORKFLOWS} personas to wait for approval`,
      () => allWaiting(WARM_UP + WORKFLOWS),
      600_000,
    );
    const residentSeconds = (performance.now() - began) / 1000;
    const after = await measure(worker);
    // They really are open and waiting: a few answer the transcript query with their approval.
    for (const handle of [handles[0]!, handles[WORKFLOWS >> 1]!, handles.at(-1)!]) {
      const { pendingApprovals } = await handle.query(transcriptQuery);
      if (pendingApprovals.length !== 1) throw new Error(`${handle.workflowId} is not waiting for approval`);
    }

    await stopWorker(worker);

    // Baseline: the same worker shape running only a workflow that waits for a signal.
    const baselineQueue = devserver.taskQueue('persona-memory-baseline');
    const baselineWorker = await spawnWorker(baselineQueue, require.resolve('./workflows/waiting'));
    const startWaiting = (label: string) =>
      devserver.client.workflow.start('waitingWorkflow', {
        taskQueue: baselineQueue,
        workflowId: devserver.workflowId(label),
      });
    await Promise.all(Array.from({ length: WARM_UP }, (_, i) => startWaiting(`base-warm-${i}`)));
    await waitFor(
      'the warm-up baseline workflows to be cached',
      () => idleWith(baselineWorker, WARM_UP),
      120_000,
    );
    const baseBefore = await measure(baselineWorker);
    let nextBase = 0;
    await Promise.all(
      Array.from({ length: START_CONCURRENCY }, async () => {
        while (nextBase < WORKFLOWS) await startWaiting(`base-${nextBase++}`);
      }),
    );
    await waitFor(
      `${WORKFLOWS} baseline workflows to be cached`,
      () => idleWith(baselineWorker, WARM_UP + WORKFLOWS),
      600_000,
    );
    const baseAfter = await measure(baselineWorker);

    const personaRss = (after.rss - before.rss) / WORKFLOWS / 1024;
    const baselineRss = (baseAfter.rss - baseBefore.rss) / WORKFLOWS / 1024;
    process.stdout.write(
      `${WORKFLOWS} persona workflows waiting for approval (+${WARM_UP} warm-up), worker in a child ` +
        `process (production worker shape, maxCachedWorkflows ${WORKFLOWS + WARM_UP + 100}); ` +
        `memory after a full GC. Baseline: the same worker running only \`bench/workflows/waiting.ts\`\n`,
    );
    report('time to start all (client)', startedSeconds, 's');
    report('time until all waiting and resident in the worker', residentSeconds, 's');
    report('workflows cached in the worker', after.cachedWorkflows, 'workflows');
    report('worker RSS before', before.rss / MiB, 'MiB');
    report('worker RSS after', after.rss / MiB, 'MiB');
    report('worker main-thread heap used before', before.heapUsed / MiB, 'MiB');
    report('worker main-thread heap used after', after.heapUsed / MiB, 'MiB');
    report('worker RSS per workflow', personaRss, 'KiB');
    report(
      'worker main-thread heap per workflow',
      (after.heapUsed - before.heapUsed) / WORKFLOWS / 1024,
      'KiB',
    );
    report('baseline worker RSS before', baseBefore.rss / MiB, 'MiB');
    report('baseline worker RSS after', baseAfter.rss / MiB, 'MiB');
    report('baseline RSS per workflow (SDK floor)', baselineRss, 'KiB');
    report('persona RSS per workflow above the floor (ours)', personaRss - baselineRss, 'KiB');
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    await devserver.close();
    await openai.close();
    await store.close();
    await rm(workspaceRoot, { recursive: true, force: true });
    process.env.REDIS_KEY_PREFIX = redisPrefix;
    process.env.REDIS_URL ??= 'redis://127.0.0.1:6379';
    await globalTeardown();
  }
}
