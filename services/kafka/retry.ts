import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../logger';

export interface RetryUntilOptions {
  logger: Logger;
  /** What is being attempted, for the logs ("connect the relay producer"). */
  what: string;
  /** Stops retrying (and rejects with the abort reason) when aborted. */
  signal?: AbortSignal;
  /** @default 500 (ms) */
  initialDelayMs?: number;
  /** @default 30000 (30 s) */
  maxDelayMs?: number;
}

/**
 * Runs `attempt` until it succeeds, backing off exponentially in between. For process start-up:
 * a relay or consumer started while Kafka is down waits for it instead of crash-looping.
 */
export async function retryUntil<T>(
  attempt: () => Promise<T>,
  { logger, what, signal, initialDelayMs = 500, maxDelayMs = 30_000 }: RetryUntilOptions,
): Promise<T> {
  for (let failures = 1; ; failures += 1) {
    signal?.throwIfAborted();
    try {
      return await attempt();
    } catch (err) {
      const delay = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(30, failures - 1));
      logger.warn({ err, failures, retryInMs: delay }, `could not ${what}; retrying`);
      await sleep(delay, undefined, signal ? { signal } : undefined);
    }
  }
}
