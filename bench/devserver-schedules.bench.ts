/**
 * Devserver schedules through the official client: create / describe / list latency with many
 * schedules, and how late scheduled workflows start compared with their nominal time (fire lag)
 * when many one-second schedules fire at once. The server runs in this process, in memory; the
 * scheduled workflows only need to start, so no worker runs.
 *
 * `npm run bench devserver-schedules` (env: DEVSERVER_BENCH_SCHEDULES, default 500).
 */
import { performance } from 'node:perf_hooks';
import { Client, Connection, ScheduleOverlapPolicy, type ScheduleHandle } from '@temporalio/client';
import { startDevServer } from '../services/devserver';
import { percentile, report } from './format';

const SCHEDULES = Number(process.env.DEVSERVER_BENCH_SCHEDULES ?? 500);
/** Schedules firing every second during the lag measurement, and for how long. */
const FIRING = 50;
const FIRING_MS = 5_000;

async function timed<T>(samples: number[], fn: () => Promise<T>): Promise<T> {
  const begun = performance.now();
  const result = await fn();
  samples.push(performance.now() - begun);
  return result;
}

export default async function run(): Promise<void> {
  const server = await startDevServer({ port: 0 });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  try {
    const action = {
      type: 'startWorkflow' as const,
      workflowType: 'benchWorkflow',
      taskQueue: 'bench-schedules-no-worker',
    };
    const creates: number[] = [];
    const handles: ScheduleHandle[] = [];
    for (let i = 0; i < SCHEDULES; i++) {
      handles.push(
        await timed(creates, () =>
          client.schedule.create({
            scheduleId: `quiet-${i}`,
            spec: { cronExpressions: ['0 9 * * MON-FRI'], timezone: 'Europe/Paris' },
            action: { ...action, workflowId: `quiet-${i}` },
          }),
        ),
      );
    }
    creates.sort((a, b) => a - b);
    report(`schedule create (p50 of ${SCHEDULES})`, percentile(creates, 50), 'ms');
    report(`schedule create (p95 of ${SCHEDULES})`, percentile(creates, 95), 'ms');

    const describes: number[] = [];
    for (const handle of handles) await timed(describes, () => handle.describe());
    describes.sort((a, b) => a - b);
    report(`schedule describe, 10 future times (p50)`, percentile(describes, 50), 'ms');

    const listed: number[] = [];
    let count = 0;
    await timed(listed, async () => {
      for await (const _ of client.schedule.list()) count++;
    });
    if (count !== SCHEDULES) throw new Error(`listed ${count} schedules, expected ${SCHEDULES}`);
    report(`schedule list of ${SCHEDULES} (5 future times each)`, listed[0]!, 'ms');

    const firing: ScheduleHandle[] = [];
    for (let i = 0; i < FIRING; i++) {
      firing.push(
        await client.schedule.create({
          scheduleId: `firing-${i}`,
          spec: { intervals: [{ every: '1s' }] },
          policies: { overlap: ScheduleOverlapPolicy.ALLOW_ALL },
          action: { ...action, workflowId: `firing-${i}` },
        }),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, FIRING_MS));
    const lags: number[] = [];
    let actions = 0;
    for (const handle of firing) {
      const { info } = await handle.describe();
      actions += info.numActionsTaken;
      for (const a of info.recentActions) lags.push(a.takenAt.getTime() - a.scheduledAt.getTime());
      await handle.delete();
    }
    lags.sort((a, b) => a - b);
    report(`scheduled actions taken (${FIRING} x 1 s for ${FIRING_MS / 1000} s)`, actions, 'actions');
    report('fire lag: start − nominal time (p50)', percentile(lags, 50), 'ms', '< 50 ms');
    report('fire lag: start − nominal time (p99)', percentile(lags, 99), 'ms');
  } finally {
    await connection.close();
    await server.stop();
  }
}
