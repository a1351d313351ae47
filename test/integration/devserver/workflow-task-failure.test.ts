import { eventTypes, waitForEvents, type RunningWorker } from '../../support/devserver';
import { startFixtureHarness, type FixtureHarness } from '../../support/devserver-fixtures';
import { fixableWorkflow, taskFailureWorkflow } from '../../fixtures/devserver/workflows';
import { fixSignal } from '../../fixtures/devserver/shared';

// jest ignores `testTimeout` inside `projects`; the bundle build and restarts need more than 5 s.
jest.setTimeout(30_000);

let h: FixtureHarness;
let worker: RunningWorker;

beforeAll(async () => {
  h = await startFixtureHarness();
});
beforeEach(async () => {
  worker = await h.fixtureWorker();
});
afterEach(async () => {
  await worker?.stop();
});
afterAll(async () => {
  await h?.close();
});

describe('workflow task failures on the devserver', () => {
  it('retries a failing workflow task (failed, then timed out) until a fix lets it complete', async () => {
    const handle = await h.client.workflow.start(fixableWorkflow, {
      taskQueue: worker.taskQueue,
      workflowId: h.workflowId('wft-fix'),
      workflowTaskTimeout: '1s',
    });
    // sdk-core reports only the first failure; later attempts are silent and must time out.
    const before = await waitForEvents(
      h,
      handle,
      ['WORKFLOW_TASK_FAILED', 'WORKFLOW_TASK_TIMED_OUT'],
      15_000,
    );
    const failed = before.find(
      (e) => e.workflowTaskFailedEventAttributes,
    )!.workflowTaskFailedEventAttributes!;
    expect(failed.failure?.message).toMatch(/not fixed yet/);
    const attempts = before
      .filter((e) => e.workflowTaskScheduledEventAttributes)
      .map((e) => e.workflowTaskScheduledEventAttributes!.attempt ?? 1);
    expect(Math.max(...attempts)).toBeGreaterThanOrEqual(2);
    expect((await handle.describe()).status.name).toBe('RUNNING');

    await handle.signal(fixSignal);
    await expect(handle.result()).resolves.toBe('fixed');
    const types = eventTypes(await h.history(handle));
    expect(types.at(-1)).toBe('WORKFLOW_EXECUTION_COMPLETED');
    await h.replay(handle);
  });

  it('terminates a run whose workflow task keeps failing', async () => {
    const handle = await h.client.workflow.start(taskFailureWorkflow, {
      taskQueue: worker.taskQueue,
      workflowId: h.workflowId('wft-stuck'),
      workflowTaskTimeout: '1s',
    });
    await waitForEvents(h, handle, ['WORKFLOW_TASK_FAILED'], 10_000);
    await handle.terminate('stuck on a bug');
    expect((await handle.describe()).status.name).toBe('TERMINATED');
    expect(eventTypes(await h.history(handle)).at(-1)).toBe('WORKFLOW_EXECUTION_TERMINATED');
  });
});
