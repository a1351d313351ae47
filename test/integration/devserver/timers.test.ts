import { eventTypes, type RunningWorker } from '../../support/devserver';
import { startFixtureHarness, type FixtureHarness } from '../../support/devserver-fixtures';
import { sleepWorkflow, timerCancelWorkflow } from '../../fixtures/devserver/workflows';

// jest ignores `testTimeout` inside `projects`; the bundle build and restarts need more than 5 s.
jest.setTimeout(30_000);

let h: FixtureHarness;
let worker: RunningWorker;

beforeAll(async () => {
  h = await startFixtureHarness();
});
beforeEach(async () => {
  worker = await h.fixtureWorker();
});
afterEach(async () => {
  await worker?.stop();
});
afterAll(async () => {
  await h?.close();
});

describe('timers on the devserver', () => {
  it('starts a timer and fires it after its duration', async () => {
    const begun = Date.now();
    const handle = await h.client.workflow.start(sleepWorkflow, {
      taskQueue: worker.taskQueue,
      workflowId: h.workflowId('timer'),
      args: [{ ms: 400 }],
    });
    await expect(handle.result()).resolves.toBe('slept');
    const elapsed = Date.now() - begun;
    expect(elapsed).toBeGreaterThanOrEqual(400);
    expect(elapsed).toBeLessThan(5_000);

    const events = await h.history(handle);
    const started = events.find((e) => e.timerStartedEventAttributes)!;
    const fired = events.find((e) => e.timerFiredEventAttributes)!;
    expect(Number(fired.timerFiredEventAttributes!.startedEventId)).toBe(Number(started.eventId));
    expect(fired.timerFiredEventAttributes!.timerId).toBe(started.timerStartedEventAttributes!.timerId);
    // Fired no earlier than the timer asked for, by the server's own clock.
    const startedAt = Number(started.eventTime!.seconds) * 1000 + (started.eventTime!.nanos ?? 0) / 1e6;
    const firedAt = Number(fired.eventTime!.seconds) * 1000 + (fired.eventTime!.nanos ?? 0) / 1e6;
    expect(firedAt - startedAt).toBeGreaterThanOrEqual(395);
    await h.replay(handle);
  });

  it('cancels a pending timer (CancelTimer command)', async () => {
    const begun = Date.now();
    const handle = await h.client.workflow.start(timerCancelWorkflow, {
      taskQueue: worker.taskQueue,
      workflowId: h.workflowId('timer-cancel'),
    });
    await expect(handle.result()).resolves.toBe('timer cancelled');
    expect(Date.now() - begun).toBeLessThan(5_000);

    const events = await h.history(handle);
    const types = eventTypes(events);
    expect(types.filter((t) => t === 'TIMER_STARTED')).toHaveLength(2);
    expect(types.filter((t) => t === 'TIMER_FIRED')).toHaveLength(1);
    expect(types.filter((t) => t === 'TIMER_CANCELED')).toHaveLength(1);
    const canceled = events.find((e) => e.timerCanceledEventAttributes)!.timerCanceledEventAttributes!;
    const fired = events.find((e) => e.timerFiredEventAttributes)!.timerFiredEventAttributes!;
    expect(canceled.timerId).not.toBe(fired.timerId);
    await h.replay(handle);
  });
});
