/**
 * Devserver throughput and latency, driven by the official client and one worker: simple
 * workflows (one activity each) started with bounded concurrency, in memory and on PostgreSQL.
 *
 * `npm run bench devserver` (env: DEVSERVER_BENCH_WORKFLOWS, default 1000;
 * DEVSERVER_BENCH_CONCURRENCY, default 64).
 */
import type { DevServerOptions } from '../services/devserver';
import { greetWorkflow } from '../test/fixtures/devserver/workflows';
import { startFixtureHarness } from '../test/support/devserver-fixtures';
import { createTestDatabase } from '../test/support/postgres';
import { percentile, report } from './format';

const WORKFLOWS = Number(process.env.DEVSERVER_BENCH_WORKFLOWS ?? 1000);
const CONCURRENCY = Number(process.env.DEVSERVER_BENCH_CONCURRENCY ?? 64);
const WARM_UP = 50;

async function measure(label: string, persistence: DevServerOptions['persistence'], target?: string) {
  const h = await startFixtureHarness({ persistence });
  try {
    const worker = await h.fixtureWorker({ maxCachedWorkflows: 200 });
    const runOne = async (i: number): Promise<number> => {
      const begun = performance.now();
      const result = await h.client.workflow.execute(greetWorkflow, {
        taskQueue: worker.taskQueue,
        workflowId: h.workflowId(`bench-${i}`),
        args: [{ name: `n${i}` }],
      });
      if (result !== `hi n${i}`) throw new Error(`unexpected result ${result}`);
      return performance.now() - begun;
    };
    const runMany = async (count: number): Promise<number[]> => {
      const latencies: number[] = [];
      let next = 0;
      const lane = async () => {
        while (next < count) latencies.push(await runOne(next++));
      };
      await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count) }, lane));
      return latencies;
    };

    await runMany(WARM_UP);
    const cpuBefore = process.cpuUsage();
    const begun = performance.now();
    const latencies = await runMany(WORKFLOWS);
    const seconds = (performance.now() - begun) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    latencies.sort((a, b) => a - b);

    report(`devserver ${label}: workflows/s (1 activity, 1 worker)`, WORKFLOWS / seconds, 'wf/s', target);
    report(`devserver ${label}: start-to-result p50`, percentile(latencies, 50), 'ms');
    report(`devserver ${label}: start-to-result p99`, percentile(latencies, 99), 'ms');
    // Client, worker and in-process server share this process: CPU per workflow is the number
    // that stays meaningful when other work competes for the machine's cores.
    report(`devserver ${label}: process CPU per workflow`, (cpu.user + cpu.system) / 1000 / WORKFLOWS, 'ms');
    await worker.stop();
  } finally {
    await h.close();
  }
}

export default async function devserverBench(): Promise<void> {
  process.stdout.write(`${WORKFLOWS} workflows after ${WARM_UP} warm-up, concurrency ${CONCURRENCY}\n`);
  await measure('memory', { kind: 'memory' });
  const db = await createTestDatabase('bench');
  try {
    await measure('postgres', { kind: 'postgres', url: db.url }, '≥ 100 workflows/s with PostgreSQL');
  } finally {
    await db.drop();
  }
}
