import { TaskQueues } from '../../../services/devserver/task-queues';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('TaskQueues', () => {
  it('hands out tasks in FIFO order and skips stale ones', () => {
    const stale = new Set(['b']);
    const queues = new TaskQueues<string>((t) => !stale.has(t));
    queues.offer('q', 'a');
    queues.offer('q', 'b');
    queues.offer('q', 'c');
    expect(queues.take('q')).toBe('a');
    expect(queues.take('q')).toBe('c');
    expect(queues.take('q')).toBeUndefined();
  });

  it('delivers to a parked poller only after the enqueuing code has finished', async () => {
    const queues = new TaskQueues<string>(() => true);
    const delivered: string[] = [];
    queues.park('q', { deliver: (t) => delivered.push(t), release: () => undefined });
    queues.offer('q', 'x');
    expect(delivered).toEqual([]);
    await tick();
    expect(delivered).toEqual(['x']);
  });

  it('never hands a task to an unparked (cancelled) poller', async () => {
    const queues = new TaskQueues<string>(() => true);
    const gone: string[] = [];
    const alive: string[] = [];
    const unpark = queues.park('q', { deliver: (t) => gone.push(t), release: () => undefined });
    queues.park('q', { deliver: (t) => alive.push(t), release: () => undefined });
    unpark();
    queues.offer('q', 'x');
    await tick();
    expect(gone).toEqual([]);
    expect(alive).toEqual(['x']);
  });

  it('keeps a task queued when no poller is parked, and evicts pollers with a release', async () => {
    const queues = new TaskQueues<string>(() => true);
    let released = 0;
    queues.park('q', { deliver: () => undefined, release: () => released++ });
    for (const poller of queues.evictPollers('q')) poller.release();
    expect(released).toBe(1);
    queues.offer('q', 'y');
    await tick();
    expect(queues.backlog('q')).toBe(1);
    expect(queues.take('q')).toBe('y');
  });
});
