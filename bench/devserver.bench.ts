/**
 * Devserver throughput and latency, driven by the official client and one worker: simple
 * workflows (one activity each) started with bounded concurrency, in memory and on PostgreSQL.
 * The server runs as its CLI in a child process (as in development use), so the CPU it spends
 * per workflow is measured apart from the client + worker in this process.
 *
 * `npm run bench devserver` (env: DEVSERVER_BENCH_WORKFLOWS, default 1000;
 * DEVSERVER_BENCH_CONCURRENCY, default 64).
 */
import { readFileSync } from 'node:fs';
import { greetWorkflow } from '../test/fixtures/devserver/workflows';
import { spawnDevServer } from '../test/support/devserver';
import { startFixtureHarness } from '../test/support/devserver-fixtures';
import { createTestDatabase } from '../test/support/postgres';
import { percentile, report } from './format';

const WORKFLOWS = Number(process.env.DEVSERVER_BENCH_WORKFLOWS ?? 1000);
const CONCURRENCY = Number(process.env.DEVSERVER_BENCH_CONCURRENCY ?? 64);
const WARM_UP = 50;
/** Linux reports process CPU in clock ticks of 10 ms. */
const MS_PER_TICK = 10;

/** User + system CPU of another process in ms (Linux /proc), NaN elsewhere. */
export function processCpuMs(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK;
  } catch {
    return Number.NaN;
  }
}

async function measure(label: string, serverArgs: string[], target?: string) {
  const server = await spawnDevServer({ args: ['--port', '0', ...serverArgs] });
  const h = await startFixtureHarness({ address: server.address });
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
    const serverCpuBefore = processCpuMs(server.child.pid);
    const cpuBefore = process.cpuUsage();
    const begun = performance.now();
    const latencies = await runMany(WORKFLOWS);
    const seconds = (performance.now() - begun) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const serverCpu = processCpuMs(server.child.pid) - serverCpuBefore;
    latencies.sort((a, b) => a - b);

    report(`devserver ${label}: workflows/s (1 activity, 1 worker)`, WORKFLOWS / seconds, 'wf/s', target);
    report(`devserver ${label}: start-to-result p50`, percentile(latencies, 50), 'ms');
    report(`devserver ${label}: start-to-result p99`, percentile(latencies, 99), 'ms');
    // CPU per workflow stays meaningful when other work competes for the machine's cores.
    report(`devserver ${label}: server CPU per workflow`, serverCpu / WORKFLOWS, 'ms');
    report(
      `devserver ${label}: client+worker CPU per workflow`,
      (cpu.user + cpu.system) / 1000 / WORKFLOWS,
      'ms',
    );
    await worker.stop();
  } finally {
    await h.close();
    await server.kill('SIGTERM');
  }
}

export default async function devserverBench(): Promise<void> {
  process.stdout.write(`${WORKFLOWS} workflows after ${WARM_UP} warm-up, concurrency ${CONCURRENCY}\n`);
  await measure('memory', ['--memory']);
  const db = await createTestDatabase('bench');
  try {
    await measure('postgres', ['--db', db.url], '≥ 100 workflows/s with PostgreSQL');
  } finally {
    await db.drop();
  }
}
