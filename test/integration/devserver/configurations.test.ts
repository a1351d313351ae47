import {
  eventTypes,
  interleavedTaskEvents,
  type HarnessOptions,
  type HarnessWorkerOptions,
} from '../../support/devserver';
import { startFixtureHarness, type FixtureHarness } from '../../support/devserver-fixtures';
import {
  activityWorkflow,
  bufferedSignalWorkflow,
  collectWorkflow,
  greetWorkflow,
  timerCancelWorkflow,
} from '../../fixtures/devserver/workflows';
import { addSignal, itemsQuery } from '../../fixtures/devserver/shared';

/**
 * The configurations DEVSERVER.md §13 asks the core scenarios to pass in besides the default
 * (sticky, cached): a worker without a workflow cache (full history on every task), an engine
 * that never binds sticky queues, and 300 ms long polls (many empty poll answers).
 */
const CONFIGURATIONS: { name: string; server: HarnessOptions; worker: HarnessWorkerOptions }[] = [
  { name: 'worker cache off', server: {}, worker: { maxCachedWorkflows: 0 } },
  { name: 'engine sticky disabled', server: { engine: { stickyEnabled: false } }, worker: {} },
  { name: '300 ms long polls', server: { engine: { longPollMs: 300 } }, worker: {} },
];

describe.each(CONFIGURATIONS)('core scenarios with $name', ({ server, worker: workerOptions }) => {
  let h: FixtureHarness;

  beforeAll(async () => {
    h = await startFixtureHarness(server);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('runs activities (with a retry), signals, queries, timers and buffered signals', async () => {
    const worker = await h.fixtureWorker(workerOptions);
    try {
      const tq = worker.taskQueue;
      await expect(
        h.client.workflow.execute(greetWorkflow, {
          taskQueue: tq,
          workflowId: h.workflowId(),
          args: [{ name: 'c' }],
        }),
      ).resolves.toBe('hi c');

      const key = h.workflowId('flaky');
      await expect(
        h.client.workflow.execute(activityWorkflow, {
          taskQueue: tq,
          workflowId: key,
          args: [
            {
              activity: 'flaky',
              input: { key, failures: 1 },
              options: { startToCloseTimeout: '10s', retry: { initialInterval: '50ms' } },
            },
          ],
        }),
      ).resolves.toEqual({ attempt: 2 });

      const collector = await h.client.workflow.start(collectWorkflow, {
        taskQueue: tq,
        workflowId: h.workflowId('collect'),
        args: [{ expected: 2 }],
      });
      await collector.signal(addSignal, 'a');
      await expect(collector.query(itemsQuery)).resolves.toEqual(['a']);
      await collector.signal(addSignal, 'b');
      await expect(collector.result()).resolves.toEqual(['a', 'b']);
      await expect(collector.query(itemsQuery)).resolves.toEqual(['a', 'b']);
      await h.replay(collector);

      const timers = await h.client.workflow.start(timerCancelWorkflow, {
        taskQueue: tq,
        workflowId: h.workflowId(),
      });
      await expect(timers.result()).resolves.toBe('timer cancelled');

      const bufferedId = h.workflowId('buffered');
      const buffered = await h.client.workflow.start(bufferedSignalWorkflow, {
        taskQueue: tq,
        workflowId: bufferedId,
        args: [{ workflowId: bufferedId }],
      });
      await expect(buffered.result()).resolves.toEqual(['during-task']);
      const events = await h.history(buffered);
      expect(interleavedTaskEvents(events)).toEqual([]);
      expect(eventTypes(events).at(-1)).toBe('WORKFLOW_EXECUTION_COMPLETED');
      await h.replay(buffered);
    } finally {
      await worker.stop();
    }
  });
});
