import { ActivityFailure, WorkflowFailedError } from '@temporalio/client';
import { RetryState, TimeoutFailure, TimeoutType } from '@temporalio/common';
import { eventTypes, rejectionOf } from '../../support/devserver';
import { useFixtureHarness } from '../../support/devserver-fixtures';
import { activityCancelWorkflow, activityWorkflow } from '../../fixtures/devserver/workflows';
import type { ActivityCall } from '../../fixtures/devserver/shared';

const suite = useFixtureHarness();

function run(workflowId: string, call: ActivityCall): Promise<unknown> {
  return suite.h.client.workflow.execute(activityWorkflow, {
    taskQueue: suite.worker.taskQueue,
    workflowId,
    args: [call],
  });
}

/** The TimeoutFailure under WorkflowFailedError → ActivityFailure, plus the activity's retry state. */
async function timeoutOf(
  promise: Promise<unknown>,
): Promise<{ activity: ActivityFailure; timeout: TimeoutFailure }> {
  const err = await rejectionOf(promise);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const activity = (err as WorkflowFailedError).cause as ActivityFailure;
  expect(activity).toBeInstanceOf(ActivityFailure);
  expect(activity.cause).toBeInstanceOf(TimeoutFailure);
  return { activity, timeout: activity.cause as TimeoutFailure };
}

describe('activity timeouts, heartbeats and cancellation on the devserver', () => {
  it('times out an attempt after start-to-close and succeeds on the retry', async () => {
    const key = suite.h.workflowId('stc-retry');
    const result = await run(key, {
      activity: 'slow',
      input: { key, ms: 3_000, slowAttempts: 1 },
      options: { startToCloseTimeout: '300ms', retry: { initialInterval: '100ms', maximumAttempts: 3 } },
    });
    expect(result).toBe(2);
    const [first, second] = suite.h.journal.attempts.get(key)!;
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(300);
  });

  it('fails with START_TO_CLOSE and MAXIMUM_ATTEMPTS_REACHED when every attempt times out', async () => {
    const key = suite.h.workflowId('stc-max');
    const { activity, timeout } = await timeoutOf(
      run(key, {
        activity: 'slow',
        input: { key, ms: 2_000 },
        options: { startToCloseTimeout: '200ms', retry: { initialInterval: '50ms', maximumAttempts: 2 } },
      }),
    );
    expect(timeout.timeoutType).toBe(TimeoutType.START_TO_CLOSE);
    expect(activity.retryState).toBe(RetryState.MAXIMUM_ATTEMPTS_REACHED);
    expect(suite.h.journal.attempts.get(key)!.map((a) => a.attempt)).toEqual([1, 2]);
  });

  it('times out with SCHEDULE_TO_START when no worker polls the activity queue', async () => {
    const key = suite.h.workflowId('sts');
    const started = Date.now();
    const { activity, timeout } = await timeoutOf(
      run(key, {
        activity: 'greet',
        input: { name: 'nobody' },
        options: {
          taskQueue: suite.h.taskQueue('no-worker'),
          scheduleToStartTimeout: '300ms',
          startToCloseTimeout: '10s',
          retry: { initialInterval: '50ms', maximumAttempts: 5 },
        },
      }),
    );
    expect(timeout.timeoutType).toBe(TimeoutType.SCHEDULE_TO_START);
    // Schedule-to-start timeouts are never retried (the real server reports TIMEOUT).
    expect([RetryState.TIMEOUT, RetryState.NON_RETRYABLE_FAILURE]).toContain(activity.retryState);
    expect(Date.now() - started).toBeLessThan(5_000);
    const events = await suite.h.history(suite.h.client.workflow.getHandle(key));
    const timedOut = events.find((e) => e.activityTaskTimedOutEventAttributes)!;
    expect(Number(timedOut.activityTaskTimedOutEventAttributes!.startedEventId ?? 0)).toBe(0);
    expect(eventTypes(events)).not.toContain('ACTIVITY_TASK_STARTED');
  });

  it('times out with SCHEDULE_TO_CLOSE and retry state TIMEOUT while an attempt is running', async () => {
    const key = suite.h.workflowId('stclose');
    const started = Date.now();
    const { activity, timeout } = await timeoutOf(
      // Attempt 1 fails at once; attempt 2 starts after the 200 ms backoff, so its start-to-close
      // deadline (capped to 600 ms from its own start) comes well after the schedule-to-close one.
      run(key, {
        activity: 'slow',
        input: { key, ms: 3_000, failAttempts: 1 },
        options: {
          scheduleToCloseTimeout: '600ms',
          startToCloseTimeout: '10s',
          retry: { initialInterval: '200ms' },
        },
      }),
    );
    expect(timeout.timeoutType).toBe(TimeoutType.SCHEDULE_TO_CLOSE);
    expect(activity.retryState).toBe(RetryState.TIMEOUT);
    expect(suite.h.journal.attempts.get(key)!.map((a) => a.attempt)).toEqual([1, 2]);
    // Before the 3 s attempt could have finished on its own.
    expect(Date.now() - started).toBeLessThan(2_900);
  });

  it('times out a silent attempt by heartbeat and hands its heartbeat details to the retry', async () => {
    const key = suite.h.workflowId('hb-retry');
    const result = await run(key, {
      activity: 'heartbeatThenStall',
      input: { key },
      options: {
        startToCloseTimeout: '10s',
        heartbeatTimeout: '500ms',
        retry: { initialInterval: '100ms', maximumAttempts: 3 },
      },
    });
    expect(result).toEqual({ progress: 42 });
    const attempts = suite.h.journal.attempts.get(key)!;
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2]);
    expect(attempts[1]!.heartbeatDetails).toEqual({ progress: 42 });
  });

  it('reports HEARTBEAT with the last heartbeat details when no retry is left', async () => {
    const key = suite.h.workflowId('hb-final');
    const { activity, timeout } = await timeoutOf(
      run(key, {
        activity: 'heartbeatThenStall',
        input: { key },
        options: { startToCloseTimeout: '10s', heartbeatTimeout: '400ms', retry: { maximumAttempts: 1 } },
      }),
    );
    expect(timeout.timeoutType).toBe(TimeoutType.HEARTBEAT);
    expect(timeout.lastHeartbeatDetails).toEqual({ progress: 42 });
    expect(activity.retryState).toBe(RetryState.MAXIMUM_ATTEMPTS_REACHED);
  });

  it('delivers an activity cancellation through the heartbeat response', async () => {
    const key = suite.h.workflowId('act-cancel');
    const handle = await suite.h.client.workflow.start(activityCancelWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId: key,
      args: [{ key }],
    });
    await expect(handle.result()).resolves.toBe('activity cancelled');
    expect(suite.h.journal.cancelled.has(key)).toBe(true);
    const types = eventTypes(await suite.h.history(handle));
    expect(types).toEqual(
      expect.arrayContaining([
        'ACTIVITY_TASK_CANCEL_REQUESTED',
        'ACTIVITY_TASK_CANCELED',
        'WORKFLOW_EXECUTION_COMPLETED',
      ]),
    );
    expect(types.indexOf('ACTIVITY_TASK_CANCEL_REQUESTED')).toBeLessThan(
      types.indexOf('ACTIVITY_TASK_CANCELED'),
    );
    await suite.h.replay(handle);
  });

  it('replays every workflow history this file produced', async () => {
    await expect(suite.h.replayAll()).resolves.toBeGreaterThan(0);
  });
});
