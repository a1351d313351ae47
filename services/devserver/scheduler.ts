/** setTimeout's ceiling (about 24.8 days); longer deadlines are reached in hops. */
const MAX_DELAY_MS = 2_147_483_647;

/**
 * Wall-clock deadlines (timers, timeouts, retry backoffs) grouped by run, so closing a run drops
 * all of its deadlines at once. Setting a key again replaces the previous deadline.
 */
export class DeadlineScheduler {
  private readonly byRun = new Map<string, Map<string, NodeJS.Timeout>>();
  private stopped = false;

  /** @param onError receives what a deadline callback threw (a bug must not crash the server). */
  constructor(private readonly onError: (err: unknown) => void = () => undefined) {}

  /** Calls `fn` at `atMs` (epoch ms) unless cleared or replaced first. */
  set(run: string, key: string, atMs: number, fn: () => void): void {
    if (this.stopped) return;
    this.clear(run, key);
    let timers = this.byRun.get(run);
    if (!timers) {
      timers = new Map();
      this.byRun.set(run, timers);
    }
    const delay = Math.max(0, atMs - Date.now());
    const handle = setTimeout(
      () => {
        const current = this.byRun.get(run);
        if (current?.get(key) !== handle) return;
        current.delete(key);
        if (current.size === 0) this.byRun.delete(run);
        if (delay > MAX_DELAY_MS) {
          this.set(run, key, atMs, fn);
          return;
        }
        try {
          fn();
        } catch (err) {
          this.onError(err);
        }
      },
      Math.min(delay, MAX_DELAY_MS),
    );
    handle.unref?.();
    timers.set(key, handle);
  }

  clear(run: string, key: string): void {
    const timers = this.byRun.get(run);
    const handle = timers?.get(key);
    if (timers && handle) {
      clearTimeout(handle);
      timers.delete(key);
      if (timers.size === 0) this.byRun.delete(run);
    }
  }

  clearRun(run: string): void {
    const timers = this.byRun.get(run);
    if (!timers) return;
    for (const handle of timers.values()) clearTimeout(handle);
    this.byRun.delete(run);
  }

  has(run: string, key: string): boolean {
    return this.byRun.get(run)?.has(key) ?? false;
  }

  stop(): void {
    this.stopped = true;
    for (const run of [...this.byRun.keys()]) this.clearRun(run);
  }
}
