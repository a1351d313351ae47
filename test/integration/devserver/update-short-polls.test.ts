import { WithStartWorkflowOperation, WorkflowUpdateStage } from '@temporalio/client';
import { eventTypes } from '../../support/devserver';
import { startFixtureHarness, type FixtureHarness } from '../../support/devserver-fixtures';
import { setValueUpdate, sleepUpdate, updatableWorkflow } from '../../fixtures/devserver/update-workflows';
import { finishSignal } from '../../fixtures/devserver/shared';

// Update calls are held at most as long as the engine's long poll: at 300 ms the SDK sees
// ADMITTED / no outcome and asks again, which exercises its resend loop against the dedupe by
// update id. Sticky queues off: every task carries the full history.
let h: FixtureHarness;

beforeAll(async () => {
  h = await startFixtureHarness({ engine: { longPollMs: 300, stickyEnabled: false } });
});
afterAll(async () => {
  await h?.close();
});

describe('workflow update with short long polls and no sticky queues', () => {
  it('survives the SDK re-sending an update that waits for a worker, then polling for its outcome', async () => {
    const taskQueue = h.taskQueue('late-worker');
    const handle = await h.client.workflow.start(updatableWorkflow, {
      taskQueue,
      workflowId: h.workflowId('late-worker'),
    });
    // No worker yet: the update stays ADMITTED over several 300 ms rounds of the SDK's loop.
    const update = handle.executeUpdate(setValueUpdate, { args: ['late'] });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const worker = await h.fixtureWorker({ taskQueue });
    try {
      await expect(update).resolves.toBe('set:late');
      // The outcome arrives after several empty PollWorkflowExecutionUpdate rounds.
      const sleeping = await handle.startUpdate(sleepUpdate, {
        args: [1_000],
        waitForStage: WorkflowUpdateStage.ACCEPTED,
      });
      await expect(sleeping.result()).resolves.toBe(1_000);

      const startWorkflowOperation = new WithStartWorkflowOperation(updatableWorkflow, {
        workflowId: h.workflowId('uws-short'),
        taskQueue,
        workflowIdConflictPolicy: 'FAIL',
      });
      await expect(
        h.client.workflow.executeUpdateWithStart(setValueUpdate, { args: ['uws'], startWorkflowOperation }),
      ).resolves.toBe('set:uws');
      const started = await startWorkflowOperation.workflowHandle();
      await started.signal(finishSignal);
      await expect(started.result()).resolves.toEqual(['uws']);

      await handle.signal(finishSignal);
      await expect(handle.result()).resolves.toEqual(['late']);
      const types = eventTypes(await h.history(handle));
      // One acceptance per update despite the re-sent requests.
      expect(types.filter((t) => t === 'WORKFLOW_EXECUTION_UPDATE_ACCEPTED')).toHaveLength(2);
      await h.replay(handle);
      await h.replay(started);
    } finally {
      await worker.stop();
    }
  });
});
