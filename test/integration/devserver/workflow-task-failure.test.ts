import { eventTypes, waitForEvents } from '../../support/devserver';
import { useFixtureHarness } from '../../support/devserver-fixtures';
import { fixableWorkflow, taskFailureWorkflow } from '../../fixtures/devserver/workflows';
import { fixSignal } from '../../fixtures/devserver/shared';

const suite = useFixtureHarness();

describe('workflow task failures on the devserver', () => {
  it('retries a failing workflow task (failed, then timed out) until a fix lets it complete', async () => {
    const handle = await suite.h.client.workflow.start(fixableWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId: suite.h.workflowId('wft-fix'),
      workflowTaskTimeout: '1s',
    });
    // sdk-core reports only the first failure; later attempts are silent and must time out.
    const before = await waitForEvents(
      suite.h,
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
    const types = eventTypes(await suite.h.history(handle));
    expect(types.at(-1)).toBe('WORKFLOW_EXECUTION_COMPLETED');
    await suite.h.replay(handle);
  });

  it('terminates a run whose workflow task keeps failing', async () => {
    const handle = await suite.h.client.workflow.start(taskFailureWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId: suite.h.workflowId('wft-stuck'),
      workflowTaskTimeout: '1s',
    });
    await waitForEvents(suite.h, handle, ['WORKFLOW_TASK_FAILED'], 10_000);
    await handle.terminate('stuck on a bug');
    expect((await handle.describe()).status.name).toBe('TERMINATED');
    expect(eventTypes(await suite.h.history(handle)).at(-1)).toBe('WORKFLOW_EXECUTION_TERMINATED');
  });

  it('replays every workflow history this file produced', async () => {
    await expect(suite.h.replayAll()).resolves.toBeGreaterThan(0);
  });
});
