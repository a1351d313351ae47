import { WorkflowNotFoundError } from '@temporalio/client';
import { eventTypes, interleavedTaskEvents } from '../../support/devserver';
import { useFixtureHarness } from '../../support/devserver-fixtures';
import {
  bufferedSignalWorkflow,
  collectWorkflow,
  firstSignalWorkflow,
} from '../../fixtures/devserver/workflows';
import { addSignal, itemsQuery } from '../../fixtures/devserver/shared';

const suite = useFixtureHarness();

describe('signals on the devserver', () => {
  it('delivers signals in order, with a query in between', async () => {
    const handle = await suite.h.client.workflow.start(collectWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId: suite.h.workflowId('signals'),
      args: [{ expected: 3 }],
    });
    await handle.signal(addSignal, 'a');
    await expect(handle.query(itemsQuery)).resolves.toEqual(['a']);
    await handle.signal(addSignal, 'b');
    await handle.signal(addSignal, 'c');
    await expect(handle.result()).resolves.toEqual(['a', 'b', 'c']);

    const events = await suite.h.history(handle);
    const signals = events.filter((e) => e.workflowExecutionSignaledEventAttributes);
    expect(signals.map((e) => e.workflowExecutionSignaledEventAttributes!.signalName)).toEqual([
      'add',
      'add',
      'add',
    ]);
    expect(interleavedTaskEvents(events)).toEqual([]);
    await suite.h.replay(handle);
  });

  it('buffers a signal that arrives while a workflow task is running', async () => {
    const workflowId = suite.h.workflowId('buffered');
    // The workflow's local activity sends the signal from inside the workflow task.
    const handle = await suite.h.client.workflow.start(bufferedSignalWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId,
      args: [{ workflowId }],
    });
    await expect(handle.result()).resolves.toEqual(['during-task']);

    const events = await suite.h.history(handle);
    const types = eventTypes(events);
    expect(interleavedTaskEvents(events)).toEqual([]);
    // The signal is appended after the task that was running when it arrived (and its marker).
    expect(types.indexOf('MARKER_RECORDED')).toBeGreaterThan(-1);
    expect(types.indexOf('WORKFLOW_EXECUTION_SIGNALED')).toBeGreaterThan(types.indexOf('MARKER_RECORDED'));
    await suite.h.replay(handle);
  });

  it('loses no acknowledged signal when many race a completing workflow', async () => {
    const handle = await suite.h.client.workflow.start(firstSignalWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId: suite.h.workflowId('storm'),
    });
    const sent = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) => handle.signal(addSignal, `s${i}`)),
    );
    const result = await handle.result();
    const accepted = sent.filter((s) => s.status === 'fulfilled').length;
    for (const s of sent) {
      // A signal may only be refused because the run already closed.
      if (s.status === 'rejected') expect(s.reason).toBeInstanceOf(WorkflowNotFoundError);
    }
    const events = await suite.h.history(handle);
    const signaled = events.filter((e) => e.workflowExecutionSignaledEventAttributes).length;
    expect(accepted).toBeGreaterThanOrEqual(1);
    expect(signaled).toBe(accepted);
    // Every signal in the history was seen by the workflow before it completed.
    expect(result).toHaveLength(signaled);
    expect(interleavedTaskEvents(events)).toEqual([]);
    await suite.h.replay(handle);
  });

  it('signal-with-start starts a run with the signal first, then signals the same run', async () => {
    const workflowId = suite.h.workflowId('sws');
    const handle = await suite.h.client.workflow.signalWithStart(collectWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId,
      args: [{ expected: 3 }],
      signal: addSignal,
      signalArgs: ['s1'],
    });
    const again = await suite.h.client.workflow.signalWithStart(collectWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId,
      args: [{ expected: 3 }],
      signal: addSignal,
      signalArgs: ['s2'],
    });
    expect(again.signaledRunId).toBe(handle.signaledRunId);
    await handle.signal(addSignal, 's3');
    await expect(handle.result()).resolves.toEqual(['s1', 's2', 's3']);

    const types = eventTypes(await suite.h.history(handle));
    expect(types.slice(0, 3)).toEqual([
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_EXECUTION_SIGNALED',
      'WORKFLOW_TASK_SCHEDULED',
    ]);
    await suite.h.replay(handle);
  });

  it('replays every workflow history this file produced', async () => {
    await expect(suite.h.replayAll()).resolves.toBeGreaterThan(0);
  });
});
