/**
 * Devserver fan-out: one parent workflow starts 100 children at once, each running one activity,
 * and waits for all of them — driven by the official client and one worker, in memory and on
 * PostgreSQL. The server runs as its CLI in a child process (as `devserver.bench.ts` does), so its
 * CPU is measured apart from the client + worker in this process.
 *
 * `npm run bench devserver-fanout` (env: DEVSERVER_FANOUT_CHILDREN, default 100;
 * DEVSERVER_FANOUT_REPEATS, default 5).
 */
import { fanOutWorkflow } from '../test/fixtures/devserver/workflows';
import { spawnDevServer } from '../test/support/devserver';
import { startFixtureHarness } from '../test/support/devserver-fixtures';
import { createTestDatabase } from '../test/support/postgres';
import { processCpuMs } from './devserver.bench';
import { percentile, report } from './format';

const CHILDREN = Number(process.env.DEVSERVER_FANOUT_CHILDREN ?? 100);
const REPEATS = Number(process.env.DEVSERVER_FANOUT_REPEATS ?? 5);

async function measure(label: string, serverArgs: string[]): Promise<void> {
  const server = await spawnDevServer({ args: ['--port', '0', ...serverArgs] });
  const h = await startFixtureHarness({ address: server.address });
  try {
    // Cache room for the parent and every child, so no run is evicted and replayed mid-fan-out.
    const worker = await h.fixtureWorker({ maxCachedWorkflows: CHILDREN * 2 + 10 });
    const fanOut = async (i: number): Promise<number> => {
      const begun = performance.now();
      const answered = await h.client.workflow.execute(fanOutWorkflow, {
        taskQueue: worker.taskQueue,
        workflowId: h.workflowId(`fanout-${i}`),
        args: [{ children: CHILDREN }],
      });
      if (answered !== CHILDREN) throw new Error(`only ${answered} of ${CHILDREN} children answered`);
      return performance.now() - begun;
    };

    await fanOut(-1); // warm-up: worker caches, bundle, server code paths
    const serverCpuBefore = processCpuMs(server.child.pid);
    const cpuBefore = process.cpuUsage();
    const durations: number[] = [];
    for (let i = 0; i < REPEATS; i++) durations.push(await fanOut(i));
    const cpu = process.cpuUsage(cpuBefore);
    const serverCpu = processCpuMs(server.child.pid) - serverCpuBefore;
    const totalSeconds = durations.reduce((a, b) => a + b, 0) / 1000;
    durations.sort((a, b) => a - b);

    const name = `devserver fan-out ${label}`;
    report(
      `${name}: children/s (1 parent, ${CHILDREN} children)`,
      (CHILDREN * REPEATS) / totalSeconds,
      'child/s',
    );
    report(`${name}: start-to-result p50`, percentile(durations, 50), 'ms');
    report(`${name}: start-to-result p99 (max of ${REPEATS})`, percentile(durations, 99), 'ms');
    report(`${name}: server CPU per fan-out`, serverCpu / REPEATS, 'ms');
    report(`${name}: server CPU per child`, serverCpu / REPEATS / CHILDREN, 'ms');
    report(`${name}: client+worker CPU per child`, (cpu.user + cpu.system) / 1000 / REPEATS / CHILDREN, 'ms');
    await worker.stop();
  } finally {
    await h.close();
    await server.kill('SIGTERM');
  }
}

export default async function devserverFanOutBench(): Promise<void> {
  process.stdout.write(`${REPEATS} fan-outs of ${CHILDREN} children after 1 warm-up\n`);
  await measure('memory', ['--memory']);
  const db = await createTestDatabase('bench');
  try {
    await measure('postgres', ['--db', db.url]);
  } finally {
    await db.drop();
  }
}
