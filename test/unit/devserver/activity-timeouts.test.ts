import { normalizeActivityTimeouts } from '../../../services/devserver/activity-timeouts';

const s = (seconds: number) => ({ seconds });

describe('normalizeActivityTimeouts', () => {
  it('defaults schedule-to-start and start-to-close to schedule-to-close', () => {
    expect(normalizeActivityTimeouts({ scheduleToCloseTimeout: s(30) }, 0)).toEqual({
      scheduleToCloseMs: 30_000,
      scheduleToStartMs: 30_000,
      startToCloseMs: 30_000,
      heartbeatMs: 0,
    });
  });

  it('caps set timeouts by schedule-to-close and the heartbeat by start-to-close', () => {
    expect(
      normalizeActivityTimeouts(
        { scheduleToCloseTimeout: s(10), startToCloseTimeout: s(60), heartbeatTimeout: s(120) },
        0,
      ),
    ).toEqual({
      scheduleToCloseMs: 10_000,
      scheduleToStartMs: 10_000,
      startToCloseMs: 10_000,
      heartbeatMs: 10_000,
    });
  });

  it('leaves schedule-to-close unlimited with only start-to-close and no run timeout', () => {
    expect(normalizeActivityTimeouts({ startToCloseTimeout: s(5) }, 0)).toEqual({
      scheduleToCloseMs: 0,
      scheduleToStartMs: 0,
      startToCloseMs: 5000,
      heartbeatMs: 0,
    });
  });

  it('bounds everything by a run timeout', () => {
    expect(normalizeActivityTimeouts({ startToCloseTimeout: s(50) }, 20_000)).toEqual({
      scheduleToCloseMs: 20_000,
      scheduleToStartMs: 20_000,
      startToCloseMs: 20_000,
      heartbeatMs: 0,
    });
  });

  it('rejects a command with neither schedule-to-close nor start-to-close, naming both', () => {
    expect(normalizeActivityTimeouts({ heartbeatTimeout: s(1) }, 0)).toMatch(
      /startToCloseTimeout or scheduleToCloseTimeout/,
    );
  });
});
