/** A long poll parked on a queue until a task arrives, its deadline passes or its call ends. */
export interface ParkedPoller<T> {
  /** Hands the task over; the poller answers its call with it. */
  deliver(task: T): void;
  /** Ends the poll with an empty answer (its queue went away). */
  release(): void;
}

interface Queue<T> {
  tasks: T[];
  pollers: ParkedPoller<T>[];
  drainScheduled: boolean;
}

/**
 * Named FIFO task queues with parked long-poll pollers. Tasks are validated lazily when handed
 * out (`isLive`), so moving or closing work never needs to search a queue: stale entries are
 * skipped. Dispatch to parked pollers is deferred to the next macrotask, so a transaction that
 * enqueues work finishes (and appends all its events) before any poller acts on it.
 */
export class TaskQueues<T> {
  private readonly queues = new Map<string, Queue<T>>();

  constructor(private readonly isLive: (task: T) => boolean) {}

  /** Adds a task at the back of the queue. */
  offer(name: string, task: T): void {
    const queue = this.queue(name);
    queue.tasks.push(task);
    this.scheduleDrain(name, queue);
  }

  /** Takes the oldest live task, or undefined when there is none. */
  take(name: string): T | undefined {
    const queue = this.queues.get(name);
    if (!queue) return undefined;
    while (queue.tasks.length > 0) {
      const task = queue.tasks.shift() as T;
      if (this.isLive(task)) return task;
    }
    this.gc(name, queue);
    return undefined;
  }

  /** Parks a poller; returns the function that unparks it (idempotent). */
  park(name: string, poller: ParkedPoller<T>): () => void {
    const queue = this.queue(name);
    queue.pollers.push(poller);
    return () => {
      const q = this.queues.get(name);
      if (!q) return;
      const index = q.pollers.indexOf(poller);
      if (index >= 0) q.pollers.splice(index, 1);
      this.gc(name, q);
    };
  }

  /** Removes and returns every parked poller of a queue (e.g. its worker shut down). */
  evictPollers(name: string): ParkedPoller<T>[] {
    const queue = this.queues.get(name);
    if (!queue) return [];
    const pollers = queue.pollers;
    queue.pollers = [];
    this.gc(name, queue);
    return pollers;
  }

  /** Number of tasks (live or stale) waiting in a queue. */
  backlog(name: string): number {
    return this.queues.get(name)?.tasks.length ?? 0;
  }

  /** Every parked poller of every queue; for shutdown. */
  allPollers(): ParkedPoller<T>[] {
    return [...this.queues.values()].flatMap((q) => q.pollers);
  }

  private queue(name: string): Queue<T> {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = { tasks: [], pollers: [], drainScheduled: false };
      this.queues.set(name, queue);
    }
    return queue;
  }

  private scheduleDrain(name: string, queue: Queue<T>): void {
    if (queue.drainScheduled || queue.pollers.length === 0) return;
    queue.drainScheduled = true;
    setImmediate(() => {
      queue.drainScheduled = false;
      this.drain(name, queue);
    });
  }

  private drain(name: string, queue: Queue<T>): void {
    while (queue.pollers.length > 0) {
      const task = this.take(name);
      if (task === undefined) break;
      const poller = queue.pollers.shift() as ParkedPoller<T>;
      poller.deliver(task);
    }
    this.gc(name, queue);
  }

  private gc(name: string, queue: Queue<T>): void {
    if (queue.tasks.length === 0 && queue.pollers.length === 0 && !queue.drainScheduled) {
      this.queues.delete(name);
    }
  }
}
