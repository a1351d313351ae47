import { CompleteAsyncError, Context } from '@temporalio/activity';
import {
  ActivityCancelledError,
  ActivityCompletionError,
  ActivityNotFoundError,
  type FullActivityId,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import { eventTypes, rejectionOf, waitFor } from '../../support/devserver';
import { startFixtureHarness, type FixtureHarness } from '../../support/devserver-fixtures';
import type { RunningWorker } from '../../support/devserver';
import {
  ASYNC_ACTIVITY_ID,
  asyncCompletionWorkflow,
  cancelAsyncSignal,
  type AsyncCompletionActivities,
} from '../../fixtures/devserver/workflows';

/** Task tokens the async activity handed out, by the key its workflow passed in. */
const tokens = new Map<string, Uint8Array>();
const asyncActivities: AsyncCompletionActivities = {
  completeLater({ key }) {
    tokens.set(key, Context.current().info.taskToken);
    // Leaves the attempt started on the server: the test finishes it from outside.
    throw new CompleteAsyncError();
  },
};

let h: FixtureHarness;
let worker: RunningWorker;

beforeAll(async () => {
  h = await startFixtureHarness();
  worker = await h.fixtureWorker({ activities: asyncActivities });
});

afterAll(async () => {
  await worker?.stop();
  await h?.close();
});

type By = 'token' | 'id';

interface AsyncRun {
  handle: WorkflowHandleWithFirstExecutionRunId<typeof asyncCompletionWorkflow>;
  token: Uint8Array;
  /** By id without a run id: the server uses the workflow's current run. */
  id: FullActivityId;
}

/** Starts the workflow and waits until its activity attempt is running (and parked). */
async function startAsync(label: string): Promise<AsyncRun> {
  const key = h.workflowId(label);
  const handle = await h.client.workflow.start(asyncCompletionWorkflow, {
    taskQueue: worker.taskQueue,
    workflowId: key,
    args: [{ key }],
  });
  await waitFor(`activity of ${key} started`, () => tokens.has(key));
  return { handle, token: tokens.get(key)!, id: { workflowId: key, activityId: ASYNC_ACTIVITY_ID } };
}

/** The async-completion client calls, addressed by task token or by id. */
function finisher(run: AsyncRun, by: By) {
  const activity = h.client.activity;
  return by === 'token'
    ? {
        complete: (result: string) => activity.complete(run.token, result),
        fail: (err: Error) => activity.fail(run.token, err),
        heartbeat: (details: unknown) => activity.heartbeat(run.token, details),
        reportCancellation: (details: unknown) => activity.reportCancellation(run.token, details),
      }
    : {
        complete: (result: string) => activity.complete(run.id, result),
        fail: (err: Error) => activity.fail(run.id, err),
        heartbeat: (details: unknown) => activity.heartbeat(run.id, details),
        reportCancellation: (details: unknown) => activity.reportCancellation(run.id, details),
      };
}

describe('async activity completion on the devserver', () => {
  it.each<By>(['token', 'id'])('heartbeats and completes an activity by %s', async (by) => {
    const run = await startAsync(`complete-by-${by}`);
    const finish = finisher(run, by);
    await finish.heartbeat({ progress: 7 });
    const pending = (await run.handle.describe()).raw.pendingActivities ?? [];
    expect(pending).toHaveLength(1);
    expect(pending[0]!.activityId).toBe(ASYNC_ACTIVITY_ID);
    expect(pending[0]!.heartbeatDetails?.payloads).toHaveLength(1);
    expect(pending[0]!.lastHeartbeatTime).toBeTruthy();

    await finish.complete(`done by ${by}`);
    await expect(run.handle.result()).resolves.toBe(`completed: done by ${by}`);
    const types = eventTypes(await h.history(run.handle));
    expect(types.slice(types.indexOf('ACTIVITY_TASK_SCHEDULED'))).toEqual(
      expect.arrayContaining(['ACTIVITY_TASK_STARTED', 'ACTIVITY_TASK_COMPLETED']),
    );
    // The attempt is closed: a second completion finds nothing.
    expect(await rejectionOf(finish.complete('again'))).toBeInstanceOf(ActivityNotFoundError);
  });

  it.each<By>(['token', 'id'])('fails an activity by %s', async (by) => {
    const run = await startAsync(`fail-by-${by}`);
    await finisher(run, by).fail(new Error(`broken by ${by}`));
    await expect(run.handle.result()).resolves.toBe(`failed: broken by ${by}`);
    expect(eventTypes(await h.history(run.handle))).toContain('ACTIVITY_TASK_FAILED');
  });

  it.each<By>(['token', 'id'])(
    'reports the cancellation the workflow asked for by %s, learnt from a heartbeat',
    async (by) => {
      const run = await startAsync(`cancel-by-${by}`);
      const finish = finisher(run, by);
      await run.handle.signal(cancelAsyncSignal);
      let cancelled: unknown;
      await waitFor('the heartbeat to report the cancel request', async () => {
        cancelled = await finish.heartbeat('still here').then(
          () => undefined,
          (err: unknown) => err,
        );
        return cancelled !== undefined;
      });
      expect(cancelled).toBeInstanceOf(ActivityCancelledError);
      await finish.reportCancellation('cleaned up');
      await expect(run.handle.result()).resolves.toBe('cancelled');
      expect(eventTypes(await h.history(run.handle))).toEqual(
        expect.arrayContaining(['ACTIVITY_TASK_CANCEL_REQUESTED', 'ACTIVITY_TASK_CANCELED']),
      );
    },
  );

  it('completes by id with an explicit run id and rejects unknown activities and runs', async () => {
    const run = await startAsync('explicit-run');
    const runId = run.handle.firstExecutionRunId;
    const activity = h.client.activity;
    expect(
      await rejectionOf(activity.complete({ ...run.id, activityId: 'no-such-activity' }, 'x')),
    ).toBeInstanceOf(ActivityNotFoundError);
    expect(
      await rejectionOf(activity.heartbeat({ ...run.id, workflowId: h.workflowId('nobody') }, 'x')),
    ).toBeInstanceOf(ActivityNotFoundError);
    expect(
      await rejectionOf(activity.complete({ ...run.id, runId: '00000000-0000-4000-8000-000000000000' }, 'x')),
    ).toBeInstanceOf(ActivityNotFoundError);
    const missing = await rejectionOf(
      activity.complete({ workflowId: run.id.workflowId, activityId: '' }, 'x'),
    );
    expect(missing).toBeInstanceOf(ActivityCompletionError);
    expect((missing as Error).message).toMatch(/activityId is required/);

    await activity.complete({ ...run.id, runId }, 'with run id');
    await expect(run.handle.result()).resolves.toBe('completed: with run id');
    // The run is closed now: by-id calls for it are NOT_FOUND too.
    expect(await rejectionOf(activity.complete({ ...run.id, runId }, 'late'))).toBeInstanceOf(
      ActivityNotFoundError,
    );
  });

  it('replays every workflow history this file produced', async () => {
    await expect(h.replayAll()).resolves.toBeGreaterThanOrEqual(7);
  });
});
