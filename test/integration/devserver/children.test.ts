import { WorkflowFailedError } from '@temporalio/client';
import { eventTypes, interleavedTaskEvents, rejectionOf, waitFor } from '../../support/devserver';
import { useFixtureHarness } from '../../support/devserver-fixtures';
import {
  awaitChildWorkflow,
  cancelChildWorkflow,
  childConflictWorkflow,
  parentCloseWorkflow,
  signalChildWorkflow,
  sleepWorkflow,
  threeChildrenWorkflow,
} from '../../fixtures/devserver/workflows';

const suite = useFixtureHarness();

describe('child workflows on the devserver', () => {
  it('runs three children at once, one failing, and links every event to its initiated event', async () => {
    const prefix = suite.h.workflowId('kid');
    const parentId = suite.h.workflowId('parent');
    const handle = await suite.h.client.workflow.start(threeChildrenWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId: parentId,
      args: [{ prefix }],
    });
    await expect(handle.result()).resolves.toEqual([
      `a:${parentId}`,
      'failed:child b failed',
      `c:${parentId}`,
    ]);

    const events = await suite.h.history(handle);
    const initiated = events.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes);
    expect(initiated.map((e) => e.startChildWorkflowExecutionInitiatedEventAttributes!.workflowId)).toEqual([
      `${prefix}-a`,
      `${prefix}-b`,
      `${prefix}-c`,
    ]);
    const initiatedIds = initiated.map((e) => Number(e.eventId));
    for (const field of [
      'childWorkflowExecutionStartedEventAttributes',
      'childWorkflowExecutionCompletedEventAttributes',
      'childWorkflowExecutionFailedEventAttributes',
    ] as const) {
      for (const e of events.filter((x) => x[field])) {
        expect(initiatedIds).toContain(Number(e[field]!.initiatedEventId));
      }
    }
    const started = events.filter((e) => e.childWorkflowExecutionStartedEventAttributes);
    expect(started).toHaveLength(3);
    const completed = events.filter((e) => e.childWorkflowExecutionCompletedEventAttributes);
    expect(completed).toHaveLength(2);
    for (const e of completed) {
      const attrs = e.childWorkflowExecutionCompletedEventAttributes!;
      const start = started.find(
        (s) =>
          Number(s.childWorkflowExecutionStartedEventAttributes!.initiatedEventId) ===
          Number(attrs.initiatedEventId),
      );
      expect(Number(attrs.startedEventId)).toBe(Number(start?.eventId));
    }
    expect(events.filter((e) => e.childWorkflowExecutionFailedEventAttributes)).toHaveLength(1);
    expect(interleavedTaskEvents(events)).toEqual([]);
    await suite.h.replay(handle);

    // The child knows its parent: describe shows the link, and its history replays too.
    const child = suite.h.client.workflow.getHandle(`${prefix}-a`);
    const description = await child.describe();
    expect(description.parentExecution).toEqual({
      workflowId: parentId,
      runId: handle.firstExecutionRunId ?? (await handle.describe()).runId,
    });
    await suite.h.replay(child);
    const failedChild = suite.h.client.workflow.getHandle(`${prefix}-b`);
    expect(await rejectionOf(failedChild.result())).toBeInstanceOf(WorkflowFailedError);
  });

  it.each([
    ['terminate', 'TERMINATED'],
    ['requestCancel', 'CANCELLED'],
    ['abandon', 'RUNNING'],
  ] as const)('applies parent close policy %s to an open child', async (policy, childStatus) => {
    const childId = suite.h.workflowId(`orphan-${policy}`);
    const parent = await suite.h.client.workflow.start(parentCloseWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId: suite.h.workflowId('closing-parent'),
      args: [{ childId, policy }],
    });
    const childRunId = await parent.result();
    const child = suite.h.client.workflow.getHandle(childId, childRunId);
    await waitFor(`child ${childStatus}`, async () => (await child.describe()).status.name === childStatus);
    if (policy === 'abandon') await child.terminate('test cleanup');
    else await suite.h.replay(child);
    await suite.h.replay(parent);
  });

  it('reports a child workflow id that is already running to the parent', async () => {
    const childId = suite.h.workflowId('taken');
    const squatter = await suite.h.client.workflow.start(sleepWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId: childId,
      args: [{ ms: 60_000 }],
    });
    const parent = await suite.h.client.workflow.start(childConflictWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId: suite.h.workflowId('conflicted'),
      args: [{ childId }],
    });
    await expect(parent.result()).resolves.toBe(`conflict:${childId}`);
    const events = await suite.h.history(parent);
    expect(eventTypes(events)).toContain('START_CHILD_WORKFLOW_EXECUTION_FAILED');
    const failed = events.find((e) => e.startChildWorkflowExecutionFailedEventAttributes)!;
    const initiated = events.find((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)!;
    expect(Number(failed.startChildWorkflowExecutionFailedEventAttributes!.initiatedEventId)).toBe(
      Number(initiated.eventId),
    );
    await suite.h.replay(parent);
    // The squatter was not touched.
    expect((await squatter.describe()).status.name).toBe('RUNNING');
    await squatter.terminate('test cleanup');
  });

  it('cancels a child through RequestCancelExternal with childWorkflowOnly', async () => {
    const childId = suite.h.workflowId('cancel-me');
    const parent = await suite.h.client.workflow.start(cancelChildWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId: suite.h.workflowId('canceling-parent'),
      args: [{ childId }],
    });
    await expect(parent.result()).resolves.toBe('child canceled');
    const types = eventTypes(await suite.h.history(parent));
    expect(types).toEqual(
      expect.arrayContaining([
        'REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED',
        'EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED',
        'CHILD_WORKFLOW_EXECUTION_CANCELED',
      ]),
    );
    expect((await suite.h.client.workflow.getHandle(childId).describe()).status.name).toBe('CANCELLED');
    await suite.h.replay(parent);
  });

  it('reports a child whose execution timed out', async () => {
    const parent = await suite.h.client.workflow.start(awaitChildWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId: suite.h.workflowId('impatient'),
      args: [{ childId: suite.h.workflowId('slowpoke'), ms: 60_000, timeoutMs: 300 }],
    });
    await expect(parent.result()).resolves.toBe('child TimeoutFailure');
    expect(eventTypes(await suite.h.history(parent))).toContain('CHILD_WORKFLOW_EXECUTION_TIMED_OUT');
    await suite.h.replay(parent);
  });

  it('signals its own child through the child handle (childWorkflowOnly)', async () => {
    const childId = suite.h.workflowId('listener');
    const parent = await suite.h.client.workflow.start(signalChildWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId: suite.h.workflowId('signaling-parent'),
      args: [{ childId }],
    });
    await expect(parent.result()).resolves.toEqual(['from-parent']);
    const events = await suite.h.history(parent);
    const initiated = events.find((e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes)!;
    expect(initiated.signalExternalWorkflowExecutionInitiatedEventAttributes!.childWorkflowOnly).toBe(true);
    const signaled = events.find((e) => e.externalWorkflowExecutionSignaledEventAttributes)!;
    expect(Number(signaled.externalWorkflowExecutionSignaledEventAttributes!.initiatedEventId)).toBe(
      Number(initiated.eventId),
    );
    await suite.h.replay(parent);
    await suite.h.replay(suite.h.client.workflow.getHandle(childId));
  });

  it('replays every workflow history this file produced, children and later runs included', async () => {
    await expect(suite.h.replayAll()).resolves.toBeGreaterThanOrEqual(18);
  });
});
