/**
 * Constitution gate overhead per activity, gated vs ungated, in ONE run on the devserver: one
 * process, one devserver (in memory), two workers on two task queues sharing the same activity
 * functions, data converter and connection — one with the gate interceptor (descriptor,
 * evaluation, outbox insert), one without. One workflow alternates the same activity
 * (`executeTool` workspace.list) between the queues, one at a time and then in parallel batches,
 * so both paths see the same load at the same time.
 *
 * Reported: in-worker time around the activity (a timing interceptor outside the gate: what the
 * gate adds before the activity runs), schedule-to-close from history (what a workflow waits),
 * and activities/s in the batch phases.
 *
 * `npm run bench gate-overhead` (env: GATE_BENCH_ROUNDS, default 300; GATE_BENCH_BATCHES, default 5;
 * GATE_BENCH_BATCH_SIZE, default 100).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ActivityExecuteInput, ActivityInterceptorsFactory, Next } from '@temporalio/worker';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Worker,
  type ActivityInboundCallsInterceptor,
} from '@temporalio/worker';
import { createExecutionActivities } from '../activities';
import { builtinTools } from '../activities/tools/builtin-tools';
import { createHttpRequester } from '../activities/tools/http-request';
import { createMemoryStore } from '../activities/memory/memory-store';
import { createToolRegistry } from '../activities/tools/registry';
import { createWorkspaces } from '../activities/tools/workspace';
import { loadConfig } from '../services/config';
import { createLogger } from '../services/logger';
import { createDataConverter } from '../services/payloads';
import { createRedis } from '../services/redis';
import { createGateTestStore } from '../test/integration/workers/gate/constitution-store';
import { installQuietRuntime, startDevServerHarness, uniqueSuffix } from '../test/support/devserver';
import { createConstitutionGate, createConstitutionHolder, toolCatalogFromRegistry } from '../workers/gate';
import { WORKFLOW_INTERCEPTOR_MODULES } from '../workers/workflow-bundle';
import { percentile, report } from './format';
import type { GateOverheadInput } from './workflows/gate-overhead';

const ROUNDS = Number(process.env.GATE_BENCH_ROUNDS ?? 300);
const BATCHES = Number(process.env.GATE_BENCH_BATCHES ?? 5);
const BATCH_SIZE = Number(process.env.GATE_BENCH_BATCH_SIZE ?? 100);

type Path = 'gated' | 'plain';

/** An activity interceptor that times what runs inside it, by run id and activity id. */
function timingInterceptor(times: Map<string, number>): ActivityInterceptorsFactory {
  return (ctx) => {
    const inbound: ActivityInboundCallsInterceptor = {
      async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>) {
        const t0 = process.hrtime.bigint();
        try {
          return await next(input);
        } finally {
          times.set(
            `${ctx.info.workflowExecution?.runId ?? ''}/${ctx.info.activityId}`,
            Number(process.hrtime.bigint() - t0) / 1000,
          );
        }
      },
    };
    return { inbound };
  };
}

const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;

export default async function bench(): Promise<void> {
  installQuietRuntime();
  const logger = createLogger({ level: 'silent' });
  const [devserver, store, bundle, workspaceRoot] = await Promise.all([
    startDevServerHarness(),
    createGateTestStore('bench_gate_overhead'),
    bundleWorkflowCode({
      workflowsPath: require.resolve('./workflows/gate-overhead'),
      workflowInterceptorModules: [...WORKFLOW_INTERCEPTOR_MODULES],
      logger: new DefaultLogger('WARN'),
    }),
    mkdtemp(path.join(os.tmpdir(), 'somagent-bench-gate-')),
  ]);
  const redis = createRedis({
    url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    keyPrefix: `somagent-bench-${randomBytes(4).toString('hex')}:`,
    connectionName: 'somagent-bench',
  });
  const holder = createConstitutionHolder({ pool: store.pool, trustStore: store.trustStore, logger });
  try {
    await store.publish(1);
    await holder.start();
    const config = loadConfig({ WORKSPACE_ROOT: workspaceRoot });
    const { pool } = store;
    const activities = createExecutionActivities({ config, pool, redis, logger });
    const gate = createConstitutionGate({
      pool,
      holder,
      logger,
      toolCatalog: toolCatalogFromRegistry(
        createToolRegistry(
          builtinTools({
            workspaces: createWorkspaces({ root: workspaceRoot }),
            httpRequest: createHttpRequester({ allowedHosts: [] }),
            memory: createMemoryStore({ pool }),
          }),
        ),
      ),
    });
    // Outside every interceptor (what the worker spends on the activity), and inside the gate
    // (the activity alone): their difference is the gate's own time on that activity.
    const times = new Map<string, number>();
    const inner = new Map<string, number>();
    const queues: Record<Path | 'workflows', string> = {
      gated: `gate-on-${uniqueSuffix()}`,
      plain: `gate-off-${uniqueSuffix()}`,
      workflows: `gate-bench-${uniqueSuffix()}`,
    };
    const common = {
      connection: devserver.connection,
      namespace: devserver.namespace,
      activities,
      dataConverter: createDataConverter({ pool }),
    };
    // The workflow has a worker of its own, so the two activity workers differ only by the gate.
    const workflowWorker = await Worker.create({
      ...common,
      activities: {},
      taskQueue: queues.workflows,
      workflowBundle: { code: bundle.code },
    });
    const gatedWorker = await Worker.create({
      ...common,
      taskQueue: queues.gated,
      interceptors: { activity: [timingInterceptor(times), gate, timingInterceptor(inner)] },
    });
    const plainWorker = await Worker.create({
      ...common,
      taskQueue: queues.plain,
      interceptors: { activity: [timingInterceptor(times), timingInterceptor(inner)] },
    });
    const workers = [workflowWorker, gatedWorker, plainWorker];
    const running = workers.map((w) => w.run());
    try {
      const run = async (input: Omit<GateOverheadInput, 'gatedQueue' | 'plainQueue'>) => {
        const handle = await devserver.client.workflow.start('gateOverheadWorkflow', {
          taskQueue: queues.workflows,
          workflowId: devserver.workflowId('gate-overhead'),
          args: [{ ...input, gatedQueue: queues.gated, plainQueue: queues.plain }],
        });
        await handle.result();
        return { runId: handle.firstExecutionRunId, events: await devserver.history(handle) };
      };
      await run({ rounds: 30, batches: 1, batchSize: 20 }); // warm-up: JIT, pools, caches
      const { runId, events } = await run({ rounds: ROUNDS, batches: BATCHES, batchSize: BATCH_SIZE });

      // Per activity (by scheduled event id): its path, schedule and close times.
      const scheduled = new Map<number, { id: string; path: Path; at: number }>();
      const closed: Array<{ id: string; path: Path; scheduledAt: number; closedAt: number }> = [];
      for (const e of events) {
        const s = e.activityTaskScheduledEventAttributes;
        if (s) {
          const path: Path = s.taskQueue?.name === queues.gated ? 'gated' : 'plain';
          scheduled.set(Number(e.eventId), { id: s.activityId!, path, at: ms(e.eventTime) });
        }
        const c = e.activityTaskCompletedEventAttributes;
        if (c) {
          const origin = scheduled.get(Number(c.scheduledEventId))!;
          closed.push({
            id: origin.id,
            path: origin.path,
            scheduledAt: origin.at,
            closedAt: ms(e.eventTime),
          });
        }
      }
      const expected = 2 * ROUNDS + 2 * BATCHES * BATCH_SIZE;
      if (closed.length !== expected)
        throw new Error(`${closed.length} activities completed, expected ${expected}`);

      const sequential = closed.filter((a) => Number(a.id) <= 2 * ROUNDS);
      process.stdout.write(
        `${ROUNDS} gated + ${ROUNDS} ungated sequential activities (interleaved), then ` +
          `${BATCHES}+${BATCHES} alternating batches of ${BATCH_SIZE}; one worker process, devserver in memory\n`,
      );
      const stats = (values: number[]) => {
        const sorted = [...values].sort((a, b) => a - b);
        return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
      };
      const inWorker = (p: Path) =>
        stats(sequential.filter((a) => a.path === p).map((a) => times.get(`${runId}/${a.id}`)!));
      const endToEnd = (p: Path) =>
        stats(sequential.filter((a) => a.path === p).map((a) => a.closedAt - a.scheduledAt));
      const gateOwn = (p: Path) =>
        stats(
          sequential
            .filter((a) => a.path === p)
            .map((a) => times.get(`${runId}/${a.id}`)! - inner.get(`${runId}/${a.id}`)!),
        );
      const [wg, wp, eg, ep] = [inWorker('gated'), inWorker('plain'), endToEnd('gated'), endToEnd('plain')];
      const [og, op] = [gateOwn('gated'), gateOwn('plain')];
      report('gate own time (outside − inside the gate) p50', og.p50, 'µs', 'p50 ≤ 200 µs');
      report('gate own time p99', og.p99, 'µs');
      report('same span without a gate p50 (timer cost)', op.p50, 'µs');
      report('in worker, gated p50', wg.p50, 'µs');
      report('in worker, ungated p50', wp.p50, 'µs');
      report('in worker, gate overhead (p50 − p50)', wg.p50 - wp.p50, 'µs');
      report('in worker, gated p99', wg.p99, 'µs');
      report('in worker, ungated p99', wp.p99, 'µs');
      report('in worker, gate overhead (p99 − p99)', wg.p99 - wp.p99, 'µs', 'p99 < 5 ms');
      report('schedule-to-close, gated p50', eg.p50, 'ms');
      report('schedule-to-close, ungated p50', ep.p50, 'ms');
      report('schedule-to-close, gated p99', eg.p99, 'ms');
      report('schedule-to-close, ungated p99', ep.p99, 'ms');

      // Batches: wall time from the first schedule to the last close of each batch.
      const batches = closed.filter((a) => Number(a.id) > 2 * ROUNDS);
      const throughput = { gated: 0, plain: 0 };
      for (const p of ['gated', 'plain'] as const) {
        let seconds = 0;
        for (let b = 0; b < BATCHES * 2; b += 1) {
          const first = 2 * ROUNDS + b * BATCH_SIZE;
          const batch = batches.filter((a) => Number(a.id) > first && Number(a.id) <= first + BATCH_SIZE);
          if (batch[0]!.path !== p) continue;
          seconds +=
            (Math.max(...batch.map((a) => a.closedAt)) - Math.min(...batch.map((a) => a.scheduledAt))) / 1000;
        }
        throughput[p] = (BATCHES * BATCH_SIZE) / seconds;
        report(
          `throughput, ${p === 'gated' ? 'gated' : 'ungated'} (batches of ${BATCH_SIZE})`,
          throughput[p],
          'activities/s',
        );
      }
      report('throughput, gated / ungated', (100 * throughput.gated) / throughput.plain, '%', '≥ 95 %');
    } finally {
      for (const w of workers) w.shutdown();
      await Promise.allSettled(running);
    }
  } finally {
    holder.stop();
    redis.disconnect();
    await devserver.close();
    await store.close();
    await rm(workspaceRoot, { recursive: true, force: true });
  }
}
