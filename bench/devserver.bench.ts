/**
 * Devserver throughput and latency, driven by the official client and one worker: simple
 * workflows (one activity each) started with bounded concurrency, in memory and on PostgreSQL.
 * The server runs as its CLI in a child process (as in development use), so the CPU it spends
 * per workflow is measured apart from the client + worker in this process, and apart from the
 * PostgreSQL backends serving the bench database (they share the machine's cores too).
 *
 * `npm run bench devserver` (env: DEVSERVER_BENCH_WORKFLOWS, default 1000;
 * DEVSERVER_BENCH_CONCURRENCY, default 64).
 *
 * The worker runs with SDK defaults except `maxCachedWorkflows: 200`, below the number of
 * workflows, so every run is evicted from the cache inside the measured window as in a steady
 * state (a cache larger than the run would defer that cost past the measurement). Tried and not
 * kept: `workflowThreadPoolSize: 2` (more CPU per workflow, no steadier throughput on 2 cores).
 * The SDK's default gzip request compression is declined by the server itself (see
 * services/devserver/README.md), not switched off here.
 *
 * Wall-clock numbers depend on what else runs on the machine; CPU per workflow much less so,
 * which is why both are printed, with the load average at the start.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
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

/** CPU of the PostgreSQL backends serving `database` (ms, Linux /proc); 0 without one. */
function postgresBackendsCpuMs(database: string | undefined): number {
  if (!database) return 0;
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Backends retitle themselves "postgres: <user> <database> <client> <state>".
      if (!readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(` ${database} `)) continue;
      total += processCpuMs(Number(entry));
    } catch {
      // The process ended meanwhile.
    }
  }
  return total;
}

async function measure(label: string, serverArgs: string[], target?: string, database?: string) {
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
    const postgresCpuBefore = postgresBackendsCpuMs(database);
    const cpuBefore = process.cpuUsage();
    const begun = performance.now();
    const latencies = await runMany(WORKFLOWS);
    const seconds = (performance.now() - begun) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const serverCpu = processCpuMs(server.child.pid) - serverCpuBefore;
    const postgresCpu = postgresBackendsCpuMs(database) - postgresCpuBefore;
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
    if (database)
      report(`devserver ${label}: PostgreSQL backend CPU per workflow`, postgresCpu / WORKFLOWS, 'ms');
    await worker.stop();
  } finally {
    await h.close();
    await server.kill('SIGTERM');
  }
}

export default async function devserverBench(): Promise<void> {
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  process.stdout.write(
    `${WORKFLOWS} workflows after ${WARM_UP} warm-up, concurrency ${CONCURRENCY}, load average ${load}\n`,
  );
  await measure('memory', ['--memory']);
  const db = await createTestDatabase('bench');
  try {
    await measure('postgres', ['--db', db.url], '≥ 100 workflows/s with PostgreSQL', db.name);
  } finally {
    await db.drop();
  }
}
