/**
 * Group commit: callers hand in one item each and wait until it is durable; items that arrive
 * while a write is in flight go out together in the next write. One round trip then carries every
 * item that was waiting at that moment, so concurrent callers share the commit's cost (the WAL
 * flush) instead of queueing behind one another, and a lone caller waits one round trip.
 */
export interface GroupCommitter<T> {
  /** Resolves once the write holding `item` has committed; rejects with that write's error. */
  submit(item: T): Promise<void>;
  /** Items waiting or being written. */
  readonly pending: number;
}

export interface GroupCommitOptions<T> {
  /** Writes a batch durably (one statement, one round trip). A throw fails the whole batch. */
  write: (batch: readonly T[]) => Promise<void>;
  /** Largest batch per write; more waiting items go out in the writes after it. @default 1000 */
  maxBatch?: number;
  /** Called after each write with its size and outcome (metrics). */
  onWrite?: (size: number, error?: unknown) => void;
}

interface Waiting<T> {
  item: T;
  resolve(): void;
  reject(err: unknown): void;
}

export function createGroupCommitter<T>({
  write,
  maxBatch = 1000,
  onWrite,
}: GroupCommitOptions<T>): GroupCommitter<T> {
  const queue: Waiting<T>[] = [];
  let inFlight = 0;
  let writing = false;

  async function drain(): Promise<void> {
    try {
      while (queue.length > 0) {
        const batch = queue.splice(0, maxBatch);
        inFlight = batch.length;
        try {
          await write(batch.map((w) => w.item));
        } catch (err) {
          onWrite?.(batch.length, err);
          for (const w of batch) w.reject(err);
          continue;
        } finally {
          inFlight = 0;
        }
        onWrite?.(batch.length);
        for (const w of batch) w.resolve();
      }
    } finally {
      writing = false;
    }
  }

  return {
    submit(item) {
      return new Promise<void>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        // Started on a microtask so that callers of the same tick share the first write; a
        // lone caller still starts its write without waiting for a timer.
        if (!writing) {
          writing = true;
          queueMicrotask(() => void drain());
        }
      });
    },
    get pending() {
      return queue.length + inFlight;
    },
  };
}
