import { DeadlineScheduler } from '../../../services/devserver/scheduler';

describe('DeadlineScheduler', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('fires at the deadline, and a re-set key replaces the earlier deadline', () => {
    const scheduler = new DeadlineScheduler();
    const fired: string[] = [];
    scheduler.set('run', 'k', Date.now() + 100, () => fired.push('first'));
    scheduler.set('run', 'k', Date.now() + 200, () => fired.push('second'));
    jest.advanceTimersByTime(150);
    expect(fired).toEqual([]);
    jest.advanceTimersByTime(100);
    expect(fired).toEqual(['second']);
    expect(scheduler.has('run', 'k')).toBe(false);
  });

  it('drops every deadline of a run at once', () => {
    const scheduler = new DeadlineScheduler();
    const fired: string[] = [];
    scheduler.set('a', 'x', Date.now() + 10, () => fired.push('a.x'));
    scheduler.set('a', 'y', Date.now() + 10, () => fired.push('a.y'));
    scheduler.set('b', 'x', Date.now() + 10, () => fired.push('b.x'));
    scheduler.clearRun('a');
    jest.advanceTimersByTime(20);
    expect(fired).toEqual(['b.x']);
  });

  it('fires past deadlines immediately and ignores new deadlines after stop', () => {
    const scheduler = new DeadlineScheduler();
    const fired: string[] = [];
    scheduler.set('a', 'past', Date.now() - 1000, () => fired.push('past'));
    jest.advanceTimersByTime(0);
    expect(fired).toEqual(['past']);
    scheduler.stop();
    scheduler.set('a', 'late', Date.now() + 1, () => fired.push('late'));
    jest.advanceTimersByTime(10);
    expect(fired).toEqual(['past']);
  });
});

describe('DeadlineScheduler errors', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('reports a throwing callback instead of crashing and keeps firing others', () => {
    const errors: unknown[] = [];
    const scheduler = new DeadlineScheduler((err) => errors.push(err));
    const fired: string[] = [];
    scheduler.set('a', 'bad', Date.now() + 5, () => {
      throw new Error('bug');
    });
    scheduler.set('a', 'good', Date.now() + 5, () => fired.push('good'));
    jest.advanceTimersByTime(10);
    expect(errors).toHaveLength(1);
    expect(fired).toEqual(['good']);
  });
});
