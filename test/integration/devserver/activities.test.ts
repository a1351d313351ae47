import { ActivityFailure, ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { RetryState } from '@temporalio/common';
import { eventTypes, rejectionOf } from '../../support/devserver';
import { useFixtureHarness } from '../../support/devserver-fixtures';
import { activityWorkflow, greetWorkflow } from '../../fixtures/devserver/workflows';
import { FAILURE_TYPES } from '../../fixtures/devserver/shared';

const suite = useFixtureHarness();

/** Unwraps WorkflowFailedError → ActivityFailure. */
async function activityFailureOf(promise: Promise<unknown>): Promise<ActivityFailure> {
  const err = await rejectionOf(promise);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ActivityFailure);
  return cause as ActivityFailure;
}

describe('activities on the devserver', () => {
  it('runs a workflow with one activity and records the §10 event sequence', async () => {
    const handle = await suite.h.client.workflow.start(greetWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId: suite.h.workflowId('greet'),
      args: [{ name: 'bob' }],
    });
    await expect(handle.result()).resolves.toBe('hi bob');

    const events = await suite.h.history(handle);
    expect(eventTypes(events)).toEqual([
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_COMPLETED',
      'ACTIVITY_TASK_SCHEDULED',
      'ACTIVITY_TASK_STARTED',
      'ACTIVITY_TASK_COMPLETED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_COMPLETED',
      'WORKFLOW_EXECUTION_COMPLETED',
    ]);
    expect(events.map((e) => Number(e.eventId))).toEqual(events.map((_, i) => i + 1));
    expect(Number(events[4]!.activityTaskScheduledEventAttributes!.workflowTaskCompletedEventId)).toBe(4);
    expect(Number(events[6]!.activityTaskCompletedEventAttributes!.scheduledEventId)).toBe(5);
    expect(Number(events[6]!.activityTaskCompletedEventAttributes!.startedEventId)).toBe(6);
    await suite.h.replay(handle);
  });

  it('retries a failing activity with server-side backoff until it succeeds', async () => {
    const key = suite.h.workflowId('flaky');
    const result = await suite.h.client.workflow.execute(activityWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId: key,
      args: [
        {
          activity: 'flaky',
          input: { key, failures: 2 },
          options: {
            startToCloseTimeout: '10s',
            retry: { initialInterval: '100ms', backoffCoefficient: 2, maximumAttempts: 5 },
          },
        },
      ],
    });
    expect(result).toEqual({ attempt: 3 });
    const attempts = suite.h.journal.attempts.get(key)!;
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
    // Backoff 100 ms then 200 ms: the server must wait at least that long between attempts.
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(90);
    expect(attempts[2]!.at - attempts[1]!.at).toBeGreaterThanOrEqual(190);

    const handle = suite.h.client.workflow.getHandle(key);
    const events = await suite.h.history(handle);
    const started = events.find((e) => e.activityTaskStartedEventAttributes)!;
    expect(started.activityTaskStartedEventAttributes!.attempt).toBe(3);
    expect(started.activityTaskStartedEventAttributes!.lastFailure?.message).toBe('attempt 2 failed');
    // Retries write no events: one scheduled, one started, one completed.
    expect(eventTypes(events).filter((t) => t.startsWith('ACTIVITY_'))).toEqual([
      'ACTIVITY_TASK_SCHEDULED',
      'ACTIVITY_TASK_STARTED',
      'ACTIVITY_TASK_COMPLETED',
    ]);
    await suite.h.replay(handle);
  });

  it('stops retrying at maximumAttempts and reports MAXIMUM_ATTEMPTS_REACHED', async () => {
    const key = suite.h.workflowId('max-attempts');
    const failure = await activityFailureOf(
      suite.h.client.workflow.execute(activityWorkflow, {
        taskQueue: suite.worker.taskQueue,
        workflowId: key,
        args: [
          {
            activity: 'alwaysFail',
            input: { key, type: FAILURE_TYPES.flaky },
            options: { startToCloseTimeout: '10s', retry: { initialInterval: '50ms', maximumAttempts: 3 } },
          },
        ],
      }),
    );
    expect(failure.retryState).toBe(RetryState.MAXIMUM_ATTEMPTS_REACHED);
    expect(failure.activityType).toBe('alwaysFail');
    expect(failure.cause).toBeInstanceOf(ApplicationFailure);
    expect((failure.cause as ApplicationFailure).type).toBe(FAILURE_TYPES.flaky);
    expect(failure.cause!.message).toBe('attempt 3 failed');
    expect(suite.h.journal.attempts.get(key)!.map((a) => a.attempt)).toEqual([1, 2, 3]);
  });

  it('does not retry an error type listed in nonRetryableErrorTypes', async () => {
    const key = suite.h.workflowId('non-retryable');
    const failure = await activityFailureOf(
      suite.h.client.workflow.execute(activityWorkflow, {
        taskQueue: suite.worker.taskQueue,
        workflowId: key,
        args: [
          {
            activity: 'alwaysFail',
            input: { key, type: FAILURE_TYPES.fatal },
            options: {
              startToCloseTimeout: '10s',
              retry: {
                initialInterval: '50ms',
                maximumAttempts: 5,
                nonRetryableErrorTypes: [FAILURE_TYPES.fatal],
              },
            },
          },
        ],
      }),
    );
    expect(failure.retryState).toBe(RetryState.NON_RETRYABLE_FAILURE);
    expect((failure.cause as ApplicationFailure).type).toBe(FAILURE_TYPES.fatal);
    expect(suite.h.journal.attempts.get(key)).toHaveLength(1);
  });

  it('does not retry a failure the activity marked non-retryable', async () => {
    const key = suite.h.workflowId('marked-non-retryable');
    const failure = await activityFailureOf(
      suite.h.client.workflow.execute(activityWorkflow, {
        taskQueue: suite.worker.taskQueue,
        workflowId: key,
        args: [
          {
            activity: 'flaky',
            input: { key, failures: 5, nonRetryable: true },
            options: { startToCloseTimeout: '10s', retry: { initialInterval: '50ms', maximumAttempts: 5 } },
          },
        ],
      }),
    );
    expect(failure.retryState).toBe(RetryState.NON_RETRYABLE_FAILURE);
    expect((failure.cause as ApplicationFailure).nonRetryable).toBe(true);
    expect(suite.h.journal.attempts.get(key)).toHaveLength(1);
  });

  it("honours the failure's nextRetryDelay over the policy's backoff", async () => {
    const key = suite.h.workflowId('next-retry-delay');
    const result = await suite.h.client.workflow.execute(activityWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId: key,
      args: [
        {
          activity: 'flaky',
          input: { key, failures: 1, nextRetryDelayMs: 600 },
          options: { startToCloseTimeout: '10s', retry: { initialInterval: '10ms', maximumAttempts: 3 } },
        },
      ],
    });
    expect(result).toEqual({ attempt: 2 });
    const [first, second] = suite.h.journal.attempts.get(key)!;
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(590);
  });

  it('replays every workflow history this file produced', async () => {
    await expect(suite.h.replayAll()).resolves.toBeGreaterThan(0);
  });
});
