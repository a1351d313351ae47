import { randomUUID } from 'node:crypto';
import { Client, WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import {
  ApplicationFailure,
  CancelledFailure,
  NamespaceNotFoundError,
  TerminatedFailure,
} from '@temporalio/common';
import { eventTypes, rejectionOf, waitForEvents } from '../../support/devserver';
import { useFixtureHarness } from '../../support/devserver-fixtures';
import {
  activityWorkflow,
  failingWorkflow,
  greetWorkflow,
  sleepWorkflow,
} from '../../fixtures/devserver/workflows';
import { addSignal, FAILURE_TYPES } from '../../fixtures/devserver/shared';

const suite = useFixtureHarness();

describe('workflow lifecycle on the devserver', () => {
  it('reports a completed run through describe', async () => {
    const handle = await suite.h.client.workflow.start(greetWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId: suite.h.workflowId('describe'),
      args: [{ name: 'ann' }],
    });
    const running = await handle.describe();
    expect(running.status.name).toBe('RUNNING');
    await handle.result();

    const done = await handle.describe();
    expect(done.status.name).toBe('COMPLETED');
    expect(done.type).toBe('greetWorkflow');
    expect(done.workflowId).toBe(handle.workflowId);
    expect(done.runId).toBe(handle.firstExecutionRunId);
    expect(done.taskQueue).toBe(suite.worker.taskQueue);
    expect(done.historyLength).toBe(11);
    expect(done.startTime.getTime()).toBeLessThanOrEqual(done.closeTime!.getTime());
    expect(done.closeTime!.getTime()).toBeLessThanOrEqual(Date.now());
  });

  it('fails a run with the application failure the workflow threw', async () => {
    const handle = await suite.h.client.workflow.start(failingWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId: suite.h.workflowId('fail'),
      args: [{ message: 'broken on purpose' }],
    });
    const err = await rejectionOf(handle.result());
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect(cause.type).toBe(FAILURE_TYPES.workflow);
    expect(cause.message).toBe('broken on purpose');
    expect(cause.details).toEqual([{ detail: 1 }]);
    expect((await handle.describe()).status.name).toBe('FAILED');
    await suite.h.replay(handle);
  });

  it('cancels a run blocked in a timer (RequestCancelWorkflowExecution)', async () => {
    const handle = await suite.h.client.workflow.start(sleepWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId: suite.h.workflowId('cancel'),
      args: [{ ms: 60_000 }],
    });
    await waitForEvents(suite.h, handle, ['TIMER_STARTED']);
    await handle.cancel();
    const err = await rejectionOf(handle.result());
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    const types = eventTypes(await suite.h.history(handle));
    expect(types).toContain('WORKFLOW_EXECUTION_CANCEL_REQUESTED');
    expect(types.slice(-2)).toEqual(['TIMER_CANCELED', 'WORKFLOW_EXECUTION_CANCELED']);
    await suite.h.replay(handle);
  });

  it('terminates a run and rejects signals to it afterwards', async () => {
    const handle = await suite.h.client.workflow.start(sleepWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId: suite.h.workflowId('terminate'),
      args: [{ ms: 60_000 }],
    });
    await waitForEvents(suite.h, handle, ['TIMER_STARTED']);
    await handle.terminate('operator said so');
    const err = await rejectionOf(handle.result());
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(TerminatedFailure);
    expect(cause!.message).toBe('operator said so');
    expect((await handle.describe()).status.name).toBe('TERMINATED');
    await expect(handle.signal(addSignal, 'late')).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });

  it('pages history with GetWorkflowExecutionHistory and fetchHistory agrees', async () => {
    const key = suite.h.workflowId('paging');
    const handle = await suite.h.client.workflow.start(activityWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId: key,
      args: [
        {
          activity: 'flaky',
          input: { key, failures: 0 },
          options: { startToCloseTimeout: '10s' },
        },
      ],
    });
    await handle.result();
    const full = await suite.h.history(handle);
    expect(full.length).toBeGreaterThanOrEqual(11);

    const paged = [];
    let nextPageToken: Uint8Array | undefined;
    let pages = 0;
    do {
      const page = await suite.h.client.workflowService.getWorkflowExecutionHistory({
        namespace: suite.h.namespace,
        execution: { workflowId: key },
        maximumPageSize: 4,
        nextPageToken,
      });
      const events = page.history?.events ?? [];
      expect(events.length).toBeLessThanOrEqual(4);
      paged.push(...events);
      nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
      pages += 1;
      expect(pages).toBeLessThan(20);
    } while (nextPageToken);
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(paged.map((e) => Number(e.eventId))).toEqual(full.map((e) => Number(e.eventId)));
    expect(eventTypes(paged)).toEqual(eventTypes(full));
  });
});

describe('clear errors for bad requests', () => {
  it('raises WorkflowNotFoundError for an unknown workflow id', async () => {
    const handle = suite.h.client.workflow.getHandle(`missing-${randomUUID()}`);
    const err = await rejectionOf(handle.describe());
    expect(err).toBeInstanceOf(WorkflowNotFoundError);
    await expect(handle.signal(addSignal, 'x')).rejects.toBeInstanceOf(WorkflowNotFoundError);
    await expect(handle.terminate()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    // fetchHistory surfaces the raw gRPC error: NOT_FOUND.
    await expect(handle.fetchHistory()).rejects.toMatchObject({ code: 5 });
  });

  it('raises NamespaceNotFoundError for an unknown namespace', async () => {
    const namespace = `no-such-ns-${randomUUID().slice(0, 8)}`;
    const client = new Client({ connection: suite.h.client.connection, namespace });
    const err = await rejectionOf(
      client.workflow.start(greetWorkflow, {
        taskQueue: 'any',
        workflowId: suite.h.workflowId(),
        args: [{ name: 'x' }],
      }),
    );
    expect(err).toBeInstanceOf(NamespaceNotFoundError);
    expect((err as NamespaceNotFoundError).namespace).toBe(namespace);

    // What Worker.create validates with. (Worker.create itself is not run against an unknown
    // namespace: SDK 1.24 leaks the native worker when that validation fails, and the leaked worker
    // keeps the jest process alive.)
    const described = await rejectionOf(suite.h.client.workflowService.describeNamespace({ namespace }));
    expect(described).toMatchObject({ code: 5 /* NOT_FOUND */ });
    expect((described as Error).message).toContain(namespace);
  });

  it('answers INVALID_ARGUMENT naming the missing field of a malformed start request', async () => {
    const err = await rejectionOf(
      suite.h.client.workflowService.startWorkflowExecution({
        namespace: suite.h.namespace,
        workflowId: suite.h.workflowId(),
        workflowType: { name: 'greetWorkflow' },
        requestId: randomUUID(),
      }),
    );
    expect((err as { code?: number }).code).toBe(3 /* INVALID_ARGUMENT */);
    expect((err as Error).message).toMatch(/task ?queue/i);
  });

  it('replays every workflow history this file produced', async () => {
    await expect(suite.h.replayAll()).resolves.toBeGreaterThan(0);
  });
});
