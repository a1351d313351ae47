import { eventTypes } from '../../support/devserver';
import { useFixtureHarness } from '../../support/devserver-fixtures';
import { sleepWorkflow, timerCancelWorkflow } from '../../fixtures/devserver/workflows';

const suite = useFixtureHarness();

describe('timers on the devserver', () => {
  it('starts a timer and fires it after its duration', async () => {
    const begun = Date.now();
    const handle = await suite.h.client.workflow.start(sleepWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId: suite.h.workflowId('timer'),
      args: [{ ms: 400 }],
    });
    await expect(handle.result()).resolves.toBe('slept');
    const elapsed = Date.now() - begun;
    expect(elapsed).toBeGreaterThanOrEqual(400);
    expect(elapsed).toBeLessThan(5_000);

    const events = await suite.h.history(handle);
    const started = events.find((e) => e.timerStartedEventAttributes)!;
    const fired = events.find((e) => e.timerFiredEventAttributes)!;
    expect(Number(fired.timerFiredEventAttributes!.startedEventId)).toBe(Number(started.eventId));
    expect(fired.timerFiredEventAttributes!.timerId).toBe(started.timerStartedEventAttributes!.timerId);
    // Fired no earlier than the timer asked for, by the server's own clock.
    const startedAt = Number(started.eventTime!.seconds) * 1000 + (started.eventTime!.nanos ?? 0) / 1e6;
    const firedAt = Number(fired.eventTime!.seconds) * 1000 + (fired.eventTime!.nanos ?? 0) / 1e6;
    expect(firedAt - startedAt).toBeGreaterThanOrEqual(395);
    await suite.h.replay(handle);
  });

  it('cancels a pending timer (CancelTimer command)', async () => {
    const begun = Date.now();
    const handle = await suite.h.client.workflow.start(timerCancelWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId: suite.h.workflowId('timer-cancel'),
    });
    await expect(handle.result()).resolves.toBe('timer cancelled');
    expect(Date.now() - begun).toBeLessThan(5_000);

    const events = await suite.h.history(handle);
    const types = eventTypes(events);
    expect(types.filter((t) => t === 'TIMER_STARTED')).toHaveLength(2);
    expect(types.filter((t) => t === 'TIMER_FIRED')).toHaveLength(1);
    expect(types.filter((t) => t === 'TIMER_CANCELED')).toHaveLength(1);
    const canceled = events.find((e) => e.timerCanceledEventAttributes)!.timerCanceledEventAttributes!;
    const fired = events.find((e) => e.timerFiredEventAttributes)!.timerFiredEventAttributes!;
    expect(canceled.timerId).not.toBe(fired.timerId);
    await suite.h.replay(handle);
  });

  it('replays every workflow history this file produced', async () => {
    await expect(suite.h.replayAll()).resolves.toBeGreaterThan(0);
  });
});
