import { ServiceError, TerminatedFailure, TimeoutFailure, WorkflowFailedError } from '@temporalio/client';
import { defaultPayloadConverter, RetryState } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { eventTypes, rejectionOf, waitFor } from '../../support/devserver';
import { useFixtureHarness } from '../../support/devserver-fixtures';
import {
  continueForeverWorkflow,
  cronCounterWorkflow,
  flakyCronWorkflow,
  retryingChildWorkflow,
  retryingWorkflow,
  slowFirstAttemptWorkflow,
} from '../../fixtures/devserver/workflows';

const suite = useFixtureHarness();
const { ContinueAsNewInitiator, RetryState: ProtoRetryState } = temporal.api.enums.v1;

type Event = temporal.api.history.v1.IHistoryEvent;

async function runHistory(workflowId: string, runId?: string): Promise<Event[]> {
  return suite.h.history(suite.h.client.workflow.getHandle(workflowId, runId));
}

function started(events: Event[]): temporal.api.history.v1.IWorkflowExecutionStartedEventAttributes {
  return events[0]!.workflowExecutionStartedEventAttributes!;
}

function ms(duration: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  return Number(duration?.seconds ?? 0) * 1000 + Math.round((duration?.nanos ?? 0) / 1e6);
}

/** Every run of a chain, first to last, following `newExecutionRunId` of the close events. */
async function chainOf(workflowId: string, firstRunId: string): Promise<Event[][]> {
  const runs: Event[][] = [];
  for (let runId: string | null | undefined = firstRunId; runId;) {
    const events = await runHistory(workflowId, runId);
    runs.push(events);
    const close = events.at(-1)!;
    runId =
      close.workflowExecutionFailedEventAttributes?.newExecutionRunId ??
      close.workflowExecutionTimedOutEventAttributes?.newExecutionRunId ??
      close.workflowExecutionCompletedEventAttributes?.newExecutionRunId ??
      close.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
  }
  return runs;
}

describe('workflow retry policy on the devserver', () => {
  it('retries a failing workflow: attempt 3 succeeds and sees the failure of attempt 2', async () => {
    const handle = await suite.h.client.workflow.start(retryingWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId: suite.h.workflowId('retry'),
      args: [{ succeedOnAttempt: 3 }],
      retry: { initialInterval: '100ms', backoffCoefficient: 1, maximumAttempts: 5 },
    });
    await expect(handle.result()).resolves.toEqual({ attempt: 3, lastFailure: 'attempt 2 failed' });

    const runs = await chainOf(handle.workflowId, handle.firstExecutionRunId);
    expect(runs).toHaveLength(3);
    for (const [i, events] of runs.entries()) {
      const attrs = started(events);
      expect(attrs.attempt).toBe(i + 1);
      expect(attrs.firstExecutionRunId).toBe(handle.firstExecutionRunId);
      expect(attrs.retryPolicy?.maximumAttempts).toBe(5);
      if (i === 0) continue;
      expect(attrs.initiator).toBe(ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_RETRY);
      expect(ms(attrs.firstWorkflowTaskBackoff)).toBe(100);
      expect(attrs.continuedFailure?.message).toBe(`attempt ${i} failed`);
      const previous = runs[i - 1]!;
      expect(attrs.continuedExecutionRunId).toBe(
        previous[0]!.workflowExecutionStartedEventAttributes!.originalExecutionRunId,
      );
      const failed = previous.at(-1)!.workflowExecutionFailedEventAttributes!;
      expect(failed.retryState).toBe(ProtoRetryState.RETRY_STATE_IN_PROGRESS);
      expect(failed.newExecutionRunId).toBe(attrs.originalExecutionRunId);
    }
    expect(runs[2]!.at(-1)!.workflowExecutionCompletedEventAttributes?.newExecutionRunId).toBeFalsy();
    const description = await suite.h.client.workflow.getHandle(handle.workflowId).describe();
    expect(description.status.name).toBe('COMPLETED');
    expect(description.runId).not.toBe(handle.firstExecutionRunId);
  });

  it.each([
    ['a non-retryable error type', 'FatalWorkflowError', 5, RetryState.NON_RETRYABLE_FAILURE, 1],
    ['the maximum attempts', 'FlakyWorkflowError', 2, RetryState.MAXIMUM_ATTEMPTS_REACHED, 2],
  ] as const)('stops retrying at %s', async (_label, type, maximumAttempts, retryState, runs) => {
    const handle = await suite.h.client.workflow.start(retryingWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId: suite.h.workflowId('no-retry'),
      args: [{ succeedOnAttempt: 10, type }],
      retry: { initialInterval: '50ms', maximumAttempts, nonRetryableErrorTypes: ['FatalWorkflowError'] },
    });
    const err = await rejectionOf(handle.result());
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).retryState).toBe(retryState);
    const chain = await chainOf(handle.workflowId, handle.firstExecutionRunId);
    expect(chain).toHaveLength(runs);
    expect(started(chain.at(-1)!).attempt).toBe(runs);
  });

  it('retries a run that hit its run timeout', async () => {
    const handle = await suite.h.client.workflow.start(slowFirstAttemptWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId: suite.h.workflowId('run-timeout-retry'),
      workflowRunTimeout: '1s',
      retry: { initialInterval: '100ms', maximumAttempts: 3 },
    });
    await expect(handle.result()).resolves.toBe(2);
    const [first, second] = await chainOf(handle.workflowId, handle.firstExecutionRunId);
    const timedOut = first!.at(-1)!.workflowExecutionTimedOutEventAttributes!;
    expect(timedOut.retryState).toBe(ProtoRetryState.RETRY_STATE_IN_PROGRESS);
    expect(timedOut.newExecutionRunId).toBe(started(second!).originalExecutionRunId);
    expect(started(second!).continuedFailure?.timeoutFailureInfo).toBeTruthy();
    expect(ms(started(second!).workflowRunTimeout)).toBe(1000);
  });

  it('retries a child: the parent hears only how the last attempt ended', async () => {
    const childId = suite.h.workflowId('retried-child');
    const parent = await suite.h.client.workflow.start(retryingChildWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId: suite.h.workflowId('retry-parent'),
      args: [{ childId, succeedOnAttempt: 2 }],
    });
    await expect(parent.result()).resolves.toEqual({ attempt: 2, lastFailure: 'attempt 1 failed' });
    const types = eventTypes(await suite.h.history(parent));
    expect(types.filter((t) => t.startsWith('CHILD_WORKFLOW_EXECUTION_'))).toEqual([
      'CHILD_WORKFLOW_EXECUTION_STARTED',
      'CHILD_WORKFLOW_EXECUTION_COMPLETED',
    ]);
    const childRuns = await chainOf(
      childId,
      (await runHistory(childId))[0]!.workflowExecutionStartedEventAttributes!.firstExecutionRunId!,
    );
    expect(childRuns).toHaveLength(2);
    // The retried child keeps its parent link.
    expect(started(childRuns[1]!).parentWorkflowExecution?.workflowId).toBe(parent.workflowId);
  });

  it('ends a retry chain at the execution timeout', async () => {
    const handle = await suite.h.client.workflow.start(retryingWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId: suite.h.workflowId('retry-expires'),
      args: [{ succeedOnAttempt: 1000 }],
      workflowExecutionTimeout: '2s',
      retry: { initialInterval: '300ms', backoffCoefficient: 1 },
    });
    const err = await rejectionOf(handle.result());
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).retryState).toBe(RetryState.TIMEOUT);
    const chain = await chainOf(handle.workflowId, handle.firstExecutionRunId);
    expect(chain.length).toBeGreaterThanOrEqual(3);
    // Every run carries the chain's one expiration time.
    const expiry = started(chain[0]!).workflowExecutionExpirationTime;
    expect(expiry).toBeTruthy();
    for (const events of chain) expect(started(events).workflowExecutionExpirationTime).toEqual(expiry);
  });
});

describe('workflow execution timeout across continue-as-new', () => {
  it('times out the chain, not each run', async () => {
    const handle = await suite.h.client.workflow.start(continueForeverWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId: suite.h.workflowId('can-expires'),
      args: [{ ms: 200, runs: 0 }],
      workflowExecutionTimeout: '2s',
    });
    const err = await rejectionOf(handle.result());
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(TimeoutFailure);
    expect((err as WorkflowFailedError).retryState).toBe(RetryState.TIMEOUT);
    const chain = await chainOf(handle.workflowId, handle.firstExecutionRunId);
    expect(chain.length).toBeGreaterThanOrEqual(3);
    const last = chain.at(-1)!;
    expect(last.at(-1)!.workflowExecutionTimedOutEventAttributes).toBeTruthy();
    expect(started(last).workflowExecutionExpirationTime).toEqual(
      started(chain[0]!).workflowExecutionExpirationTime,
    );
  });
});

describe('cron workflows on the devserver', () => {
  it('runs on its schedule with the last completion result until terminated', async () => {
    const handle = await suite.h.client.workflow.start(cronCounterWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId: suite.h.workflowId('cron'),
      cronSchedule: '@every 1s',
    });
    const first = started(await runHistory(handle.workflowId, handle.firstExecutionRunId));
    expect(first.cronSchedule).toBe('@every 1s');
    expect(first.initiator).toBe(ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_CRON_SCHEDULE);
    expect(ms(first.firstWorkflowTaskBackoff)).toBeLessThanOrEqual(1000);

    // Wait for a run that was handed the result of the second run.
    let current: Event[] = [];
    await waitFor(
      'a third cron run',
      async () => {
        current = await runHistory(handle.workflowId);
        const last = started(current).lastCompletionResult?.payloads?.[0];
        return last ? defaultPayloadConverter.fromPayload<{ run: number }>(last).run >= 2 : false;
      },
      15_000,
    );
    const attrs = started(current);
    expect(attrs.initiator).toBe(ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_CRON_SCHEDULE);
    expect(attrs.attempt).toBe(1);
    expect(attrs.firstExecutionRunId).toBe(handle.firstExecutionRunId);
    const previous = await runHistory(handle.workflowId, attrs.continuedExecutionRunId!);
    const completed = previous.at(-1)!.workflowExecutionCompletedEventAttributes!;
    expect(completed.newExecutionRunId).toBe(attrs.originalExecutionRunId);
    expect(defaultPayloadConverter.fromPayload(completed.result!.payloads![0]!)).toEqual({
      run: defaultPayloadConverter.fromPayload<{ run: number }>(attrs.lastCompletionResult!.payloads![0]!)
        .run,
      initiatedByCron: true,
    });

    // Terminating the current run ends the chain: result() follows the chain to that end.
    await handle.terminate('enough');
    const err = await rejectionOf(handle.result());
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(TerminatedFailure);
    const stopped = await suite.h.client.workflow.getHandle(handle.workflowId).describe();
    expect(stopped.status.name).toBe('TERMINATED');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const later = await suite.h.client.workflow.getHandle(handle.workflowId).describe();
    expect(later.runId).toBe(stopped.runId);
    expect(later.status.name).toBe('TERMINATED');
  });

  it('carries a failed run into the next cron run and keeps the last completion result', async () => {
    const handle = await suite.h.client.workflow.start(flakyCronWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId: suite.h.workflowId('flaky-cron'),
      cronSchedule: '@every 1s',
    });
    let chain: Event[][] = [];
    await waitFor(
      'a third cron run',
      async () => {
        chain = await chainOf(handle.workflowId, handle.firstExecutionRunId);
        return chain.length >= 3;
      },
      15_000,
    );
    await handle.terminate('enough');
    const [first, second, third] = chain as [Event[], Event[], Event[]];
    const failed = first.at(-1)!.workflowExecutionFailedEventAttributes!;
    expect(failed.failure?.message).toBe('cron run 1 failed');
    expect(failed.retryState).toBe(ProtoRetryState.RETRY_STATE_RETRY_POLICY_NOT_SET);
    expect(failed.newExecutionRunId).toBe(started(second).originalExecutionRunId);
    expect(started(second).continuedFailure?.message).toBe('cron run 1 failed');
    const completed = second.at(-1)!.workflowExecutionCompletedEventAttributes!;
    expect(defaultPayloadConverter.fromPayload(completed.result!.payloads![0]!)).toEqual({
      run: 2,
      sawFailure: 'cron run 1 failed',
    });
    expect(defaultPayloadConverter.fromPayload(started(third).lastCompletionResult!.payloads![0]!)).toEqual({
      run: 2,
      sawFailure: 'cron run 1 failed',
    });
  });

  it('rejects a malformed cron schedule naming the field', async () => {
    const err = await rejectionOf(
      suite.h.client.workflow.start(cronCounterWorkflow, {
        taskQueue: suite.worker.taskQueue,
        workflowId: suite.h.workflowId('bad-cron'),
        cronSchedule: 'every tuesday',
      }),
    );
    expect(err).toBeInstanceOf(ServiceError);
    expect((err as ServiceError).cause?.message).toMatch(/INVALID_ARGUMENT: cronSchedule: 'every tuesday'/);
  });

  it('replays every workflow history this file produced', async () => {
    await expect(suite.h.replayAll()).resolves.toBeGreaterThanOrEqual(20);
  });
});
