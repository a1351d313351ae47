/**
 * Devserver workflow-update latency and throughput, driven by the official client and one worker
 * against the in-memory devserver CLI: sequential updates on one workflow, concurrent updates
 * across workflows, update-with-start, and a short workflow cycle with and without eager start.
 *
 * `npm run bench devserver-updates` (env: UPDATE_BENCH_COUNT, default 500).
 */
import { Client, WithStartWorkflowOperation, type WorkflowHandle } from '@temporalio/client';
import { finishSignal } from '../test/fixtures/devserver/shared';
import { setValueUpdate, updatableWorkflow } from '../test/fixtures/devserver/update-workflows';
import { spawnDevServer } from '../test/support/devserver';
import { startFixtureHarness } from '../test/support/devserver-fixtures';
import { percentile, report } from './format';

const COUNT = Number(process.env.UPDATE_BENCH_COUNT ?? 500);
const LANES = 16;
const WARM_UP = 20;

async function timed<T>(fn: () => Promise<T>): Promise<number> {
  const begun = performance.now();
  await fn();
  return performance.now() - begun;
}

function summarise(label: string, latencies: number[], seconds: number, unit = 'updates/s'): void {
  latencies.sort((a, b) => a - b);
  report(`${label}: throughput`, latencies.length / seconds, unit);
  report(`${label}: p50`, percentile(latencies, 50), 'ms');
  report(`${label}: p99`, percentile(latencies, 99), 'ms');
}

export default async function bench(): Promise<void> {
  const server = await spawnDevServer({ args: ['--port', '0', '--memory'] });
  const h = await startFixtureHarness({ address: server.address });
  try {
    const worker = await h.fixtureWorker({ maxCachedWorkflows: 200 });
    const start = (label: string): Promise<WorkflowHandle<typeof updatableWorkflow>> =>
      h.client.workflow.start(updatableWorkflow, {
        taskQueue: worker.taskQueue,
        workflowId: h.workflowId(label),
      });

    // Sequential updates on one workflow (its history grows by 5 events per update).
    const one = await start('bench-seq');
    for (let i = 0; i < WARM_UP; i++) await one.executeUpdate(setValueUpdate, { args: [`w${i}`] });
    let begun = performance.now();
    const sequential: number[] = [];
    for (let i = 0; i < COUNT; i++)
      sequential.push(await timed(() => one.executeUpdate(setValueUpdate, { args: [`v${i}`] })));
    summarise('update, sequential on 1 workflow', sequential, (performance.now() - begun) / 1000);
    await one.signal(finishSignal);

    // Concurrent updates: one lane per workflow.
    const handles = await Promise.all(Array.from({ length: LANES }, (_, i) => start(`bench-lane-${i}`)));
    const concurrent: number[] = [];
    begun = performance.now();
    await Promise.all(
      handles.map(async (handle) => {
        for (let i = 0; i < COUNT / LANES; i++)
          concurrent.push(await timed(() => handle.executeUpdate(setValueUpdate, { args: [`c${i}`] })));
      }),
    );
    summarise(`update, ${LANES} workflows concurrently`, concurrent, (performance.now() - begun) / 1000);
    await Promise.all(handles.map((handle) => handle.signal(finishSignal)));

    // Update-with-start: a new run whose first workflow task carries the update.
    const withStart: number[] = [];
    begun = performance.now();
    for (let i = 0; i < COUNT / 5; i++) {
      const startWorkflowOperation = new WithStartWorkflowOperation(updatableWorkflow, {
        workflowId: h.workflowId('bench-uws'),
        taskQueue: worker.taskQueue,
        workflowIdConflictPolicy: 'FAIL',
      });
      withStart.push(
        await timed(() =>
          h.client.workflow.executeUpdateWithStart(setValueUpdate, { args: ['x'], startWorkflowOperation }),
        ),
      );
      await (await startWorkflowOperation.workflowHandle()).signal(finishSignal);
    }
    summarise('update-with-start', withStart, (performance.now() - begun) / 1000, 'calls/s');

    // Start → update → finish → result, with and without eager start (client on the worker's
    // NativeConnection, as eager start requires).
    const nativeClient = new Client({ connection: h.connection, namespace: h.namespace });
    for (const eager of [false, true]) {
      const cycles: number[] = [];
      begun = performance.now();
      for (let i = 0; i < COUNT / 5; i++) {
        cycles.push(
          await timed(async () => {
            const handle = await nativeClient.workflow.start(updatableWorkflow, {
              taskQueue: worker.taskQueue,
              workflowId: h.workflowId('bench-cycle'),
              requestEagerStart: eager,
            });
            await handle.executeUpdate(setValueUpdate, { args: ['y'] });
            await handle.signal(finishSignal);
            await handle.result();
          }),
        );
      }
      summarise(
        `start+update+result, ${eager ? 'eager' : 'not eager'}`,
        cycles,
        (performance.now() - begun) / 1000,
        'cycles/s',
      );
    }
    await worker.stop();
  } finally {
    await h.close();
    await server.kill('SIGKILL');
  }
}
