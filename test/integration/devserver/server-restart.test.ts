import {
  eventTypes,
  spawnDevServer,
  waitFor,
  waitForEvents,
  type SpawnedDevServer,
} from '../../support/devserver';
import { startFixtureHarness, type FixtureHarness } from '../../support/devserver-fixtures';
import {
  activityWorkflow,
  awaitChildWorkflow,
  greetWorkflow,
  pendingWorkWorkflow,
  retryingWorkflow,
} from '../../fixtures/devserver/workflows';

// The devserver CLI as a child process on this run's private PostgreSQL database (global setup).
// Only this file runs a devserver on that database, so a restarted server recovers only its runs.
const DATABASE_URL = process.env.DATABASE_URL!;

let server: SpawnedDevServer;
let h: FixtureHarness;

beforeAll(async () => {
  server = await spawnDevServer({ args: ['--port', '0', '--db', DATABASE_URL] });
  h = await startFixtureHarness({ address: server.address });
});
afterAll(async () => {
  await h?.close();
  await server?.kill('SIGKILL');
});

async function restart(
  signal: NodeJS.Signals,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const exit = await server.kill(signal);
  server = await spawnDevServer({ args: ['--port', String(server.port), '--db', DATABASE_URL] });
  return exit;
}

describe('devserver CLI on PostgreSQL', () => {
  it('runs a workflow end to end', async () => {
    const worker = await h.fixtureWorker();
    try {
      await expect(
        h.client.workflow.execute(greetWorkflow, {
          taskQueue: worker.taskQueue,
          workflowId: h.workflowId('pg-greet'),
          args: [{ name: 'pg' }],
        }),
      ).resolves.toBe('hi pg');
    } finally {
      await worker.stop();
    }
  });

  it('stops cleanly on SIGTERM and serves the finished run after a restart', async () => {
    const worker = await h.fixtureWorker();
    const handle = await h.client.workflow.start(greetWorkflow, {
      taskQueue: worker.taskQueue,
      workflowId: h.workflowId('pg-sigterm'),
      args: [{ name: 'term' }],
    });
    await handle.result();
    await worker.stop();
    const before = eventTypes(await h.history(handle));

    const exit = await restart('SIGTERM');
    expect(exit.code).toBe(0);

    await expect(handle.result()).resolves.toBe('hi term');
    expect(eventTypes(await h.history(handle))).toEqual(before);
    expect((await handle.describe()).status.name).toBe('COMPLETED');
  });

  it('completes a run whose server was SIGKILLed with an activity and a timer pending', async () => {
    const workflowWorker = await h.fixtureWorker();
    const activityQueue = h.taskQueue('after-restart');
    const timerMs = 2_000;
    const begun = Date.now();
    const handle = await h.client.workflow.start(pendingWorkWorkflow, {
      taskQueue: workflowWorker.taskQueue,
      workflowId: h.workflowId('pg-kill'),
      args: [{ activityTaskQueue: activityQueue, timerMs }],
    });
    const beforeKill = await waitForEvents(h, handle, ['ACTIVITY_TASK_SCHEDULED', 'TIMER_STARTED']);

    const exit = await restart('SIGKILL');
    expect(exit.signal).toBe('SIGKILL');

    const activityWorker = await h.fixtureWorker({ taskQueue: activityQueue });
    try {
      await expect(handle.result()).resolves.toEqual(['hi after restart', 'timer fired']);
      expect(Date.now() - begun).toBeGreaterThanOrEqual(timerMs);

      const events = await h.history(handle);
      expect(events.map((e) => Number(e.eventId))).toEqual(events.map((_, i) => i + 1));
      expect(eventTypes(events.slice(0, beforeKill.length))).toEqual(eventTypes(beforeKill));
      expect(eventTypes(events)).toEqual(
        expect.arrayContaining(['ACTIVITY_TASK_COMPLETED', 'TIMER_FIRED', 'WORKFLOW_EXECUTION_COMPLETED']),
      );
      await h.replay(handle);
    } finally {
      await activityWorker.stop();
      await workflowWorker.stop();
    }
  });

  it('completes a run whose activity was executing on a worker when the server was SIGKILLed', async () => {
    const worker = await h.fixtureWorker();
    const key = h.workflowId('pg-inflight');
    try {
      const begun = Date.now();
      const handle = await h.client.workflow.start(activityWorkflow, {
        taskQueue: worker.taskQueue,
        workflowId: key,
        args: [
          {
            activity: 'slow',
            input: { key, ms: 2_500 },
            options: { startToCloseTimeout: '30s', retry: { initialInterval: '100ms' } },
          },
        ],
      });
      await waitFor('the activity to start on the worker', () => h.journal.attempts.has(key));

      await restart('SIGKILL');

      // The worker's completion (sent while or after the server restarts) must not be lost, nor
      // the run left waiting for the 30 s start-to-close timeout.
      const attempt = await handle.result();
      expect(Date.now() - begun).toBeLessThan(20_000);
      expect(h.journal.attempts.get(key)!.length).toBeLessThanOrEqual(2);
      expect(attempt).toBe(h.journal.attempts.get(key)!.at(-1)!.attempt);
      const types = eventTypes(await h.history(handle));
      expect(types.filter((t) => t === 'ACTIVITY_TASK_COMPLETED')).toHaveLength(1);
      await h.replay(handle);
    } finally {
      await worker.stop();
    }
  });

  it('completes a parent whose child was running when the server was SIGKILLed', async () => {
    const worker = await h.fixtureWorker();
    const childId = h.workflowId('pg-child');
    try {
      const parent = await h.client.workflow.start(awaitChildWorkflow, {
        taskQueue: worker.taskQueue,
        workflowId: h.workflowId('pg-parent'),
        args: [{ childId, ms: 1_500 }],
      });
      await waitForEvents(h, parent, ['CHILD_WORKFLOW_EXECUTION_STARTED']);

      await restart('SIGKILL');

      await expect(parent.result()).resolves.toBe('slept');
      const types = eventTypes(await h.history(parent));
      expect(types.filter((t) => t === 'CHILD_WORKFLOW_EXECUTION_COMPLETED')).toHaveLength(1);
      const child = h.client.workflow.getHandle(childId);
      expect((await child.describe()).parentExecution?.workflowId).toBe(parent.workflowId);
      await h.replay(parent);
      await h.replay(child);
    } finally {
      await worker.stop();
    }
  });

  it('continues a workflow retry chain whose backoff spanned a SIGKILL', async () => {
    const worker = await h.fixtureWorker();
    try {
      const handle = await h.client.workflow.start(retryingWorkflow, {
        taskQueue: worker.taskQueue,
        workflowId: h.workflowId('pg-retry'),
        args: [{ succeedOnAttempt: 2 }],
        retry: { initialInterval: '2s', maximumAttempts: 3 },
      });
      // Attempt 1 failed and attempt 2 waits out its backoff when the server dies.
      await waitFor('the retry run', async () => {
        const current = await h.history(h.client.workflow.getHandle(handle.workflowId));
        return current[0]?.workflowExecutionStartedEventAttributes?.attempt === 2;
      });

      await restart('SIGKILL');

      await expect(handle.result()).resolves.toEqual({ attempt: 2, lastFailure: 'attempt 1 failed' });
      const first = await h.history(
        h.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId),
      );
      expect(first.at(-1)?.workflowExecutionFailedEventAttributes?.newExecutionRunId).toBeTruthy();
      await h.replayAll();
    } finally {
      await worker.stop();
    }
  });
});
