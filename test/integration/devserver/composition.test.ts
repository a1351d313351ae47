import { CancelledFailure, WorkflowFailedError } from '@temporalio/client';
import { eventTypes, interleavedTaskEvents, rejectionOf } from '../../support/devserver';
import { useFixtureHarness } from '../../support/devserver-fixtures';
import {
  cancelExternalWorkflow,
  collectWorkflow,
  continueAsNewWorkflow,
  signalExternalWorkflow,
  sleepWorkflow,
  STAGE_KEY,
  upsertWorkflow,
} from '../../fixtures/devserver/workflows';

const suite = useFixtureHarness();

describe('workflows acting on other workflows', () => {
  it('signals another workflow and reports a missing one', async () => {
    const target = await suite.h.client.workflow.start(collectWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId: suite.h.workflowId('signal-target'),
      args: [{ expected: 1 }],
    });
    const source = await suite.h.client.workflow.start(signalExternalWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId: suite.h.workflowId('signal-source'),
      args: [{ targetId: target.workflowId, missingId: suite.h.workflowId('nobody') }],
    });
    const [sent, missing] = await source.result();
    expect(sent).toBe('sent');
    expect(missing).toMatch(/^missing: /);
    await expect(target.result()).resolves.toEqual(['from-external']);

    const events = await suite.h.history(source);
    const initiated = events.filter((e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes);
    expect(initiated).toHaveLength(2);
    const signaled = events.find((e) => e.externalWorkflowExecutionSignaledEventAttributes)!;
    expect(Number(signaled.externalWorkflowExecutionSignaledEventAttributes!.initiatedEventId)).toBe(
      Number(initiated[0]!.eventId),
    );
    const failed = events.find((e) => e.signalExternalWorkflowExecutionFailedEventAttributes)!;
    expect(Number(failed.signalExternalWorkflowExecutionFailedEventAttributes!.initiatedEventId)).toBe(
      Number(initiated[1]!.eventId),
    );
    const targetSignal = (await suite.h.history(target)).find(
      (e) => e.workflowExecutionSignaledEventAttributes,
    )!;
    expect(targetSignal.workflowExecutionSignaledEventAttributes!.externalWorkflowExecution?.workflowId).toBe(
      source.workflowId,
    );
    expect(interleavedTaskEvents(events)).toEqual([]);
    await suite.h.replay(source);
    await suite.h.replay(target);
  });

  it('requests cancellation of another workflow and reports a missing one', async () => {
    const target = await suite.h.client.workflow.start(sleepWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId: suite.h.workflowId('cancel-target'),
      args: [{ ms: 60_000 }],
    });
    const source = await suite.h.client.workflow.start(cancelExternalWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId: suite.h.workflowId('cancel-source'),
      args: [{ targetId: target.workflowId, missingId: suite.h.workflowId('nobody') }],
    });
    const [first, second] = await source.result();
    expect(first).toBe('requested');
    expect(second).toMatch(/^missing: /);
    const err = await rejectionOf(target.result());
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);

    const types = eventTypes(await suite.h.history(source));
    expect(types.filter((t) => t === 'REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED')).toHaveLength(2);
    expect(types).toContain('EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED');
    expect(types).toContain('REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED');
    const cancelRequested = (await suite.h.history(target)).find(
      (e) => e.workflowExecutionCancelRequestedEventAttributes,
    )!;
    expect(
      cancelRequested.workflowExecutionCancelRequestedEventAttributes!.externalWorkflowExecution?.workflowId,
    ).toBe(source.workflowId);
    await suite.h.replay(source);
    await suite.h.replay(target);
  });
});

describe('continue-as-new on the devserver', () => {
  it('continues three times and result() follows the chain to the last run', async () => {
    const handle = await suite.h.client.workflow.start(continueAsNewWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId: suite.h.workflowId('can'),
      args: [{ remaining: 3, trail: [] }],
    });
    const trail = await handle.result();
    expect(trail).toHaveLength(4);
    // Each run names the run it continued from: the chain is linked end to end.
    expect(trail[0]).toMatch(/<-none$/);
    for (let i = 1; i < trail.length; i++) {
      expect(trail[i]!.split('<-')[1]).toBe(trail[i - 1]!.split('<-')[0]);
    }

    const first = suite.h.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId);
    const firstDescription = await first.describe();
    expect(firstDescription.status.name).toBe('CONTINUED_AS_NEW');
    const close = (await suite.h.history(first)).at(-1)!;
    expect(close.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId).toBeTruthy();
    await suite.h.replay(first);

    const latest = suite.h.client.workflow.getHandle(handle.workflowId);
    const latestDescription = await latest.describe();
    expect(latestDescription.status.name).toBe('COMPLETED');
    expect(latestDescription.runId.slice(0, 8)).toBe(trail[3]!.split('<-')[0]);
    expect(latestDescription.raw.workflowExecutionInfo?.firstRunId).toBe(handle.firstExecutionRunId);
    const started = (await suite.h.history(latest))[0]!.workflowExecutionStartedEventAttributes!;
    expect(started.firstExecutionRunId).toBe(handle.firstExecutionRunId);
    expect(started.continuedExecutionRunId?.slice(0, 8)).toBe(trail[2]!.split('<-')[0]);
    await suite.h.replay(latest);
  });
});

describe('search attributes, memo and patches', () => {
  it('shows upserted search attributes and memo in describe and replays the patch', async () => {
    const handle = await suite.h.client.workflow.start(upsertWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId: suite.h.workflowId('upsert'),
      args: [{ stage: 'review', note: 'hello memo' }],
      memo: { removed: 'soon gone', kept: 1 },
      staticSummary: 'upsert **demo**',
      staticDetails: 'details for the UI',
    });
    await expect(handle.result()).resolves.toBe(true);
    const description = await handle.describe();
    expect(description.typedSearchAttributes.get(STAGE_KEY)).toBe('review');
    expect(description.memo).toEqual({ kept: 1, note: 'hello memo' });
    await expect(description.staticSummary()).resolves.toBe('upsert **demo**');
    await expect(description.staticDetails()).resolves.toBe('details for the UI');

    const events = await suite.h.history(handle);
    expect(eventTypes(events)).toEqual(
      expect.arrayContaining([
        'UPSERT_WORKFLOW_SEARCH_ATTRIBUTES',
        'WORKFLOW_PROPERTIES_MODIFIED',
        'MARKER_RECORDED',
      ]),
    );
    // patched() records a core_patch marker and upserts TemporalChangeVersion; both are accepted.
    const markers = events.filter((e) => e.markerRecordedEventAttributes);
    expect(markers.map((e) => e.markerRecordedEventAttributes!.markerName)).toContain('core_patch');
    const upserted = events.flatMap((e) =>
      Object.keys(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {}),
    );
    expect(upserted).toEqual(expect.arrayContaining(['CustomKeywordField', 'TemporalChangeVersion']));
    await suite.h.replay(handle);
  });

  it('replays every workflow history this file produced, children and later runs included', async () => {
    await expect(suite.h.replayAll()).resolves.toBeGreaterThanOrEqual(9);
  });
});
