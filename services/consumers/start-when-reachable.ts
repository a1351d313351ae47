import { retryUntil } from '../kafka';
import type { Logger } from '../logger';
import type { EventConsumer } from './event-consumer';

/**
 * Starts a consumer, retrying with backoff while Kafka is down (a process that waits rather than
 * crash-loops); a failed attempt is stopped before the next so no half-joined group is left.
 */
export function startWhenReachable(
  consumer: EventConsumer,
  { logger, what, signal }: { logger: Logger; what: string; signal: AbortSignal },
): Promise<void> {
  return retryUntil(
    async () => {
      try {
        await consumer.start();
      } catch (err) {
        await consumer.stop().catch(() => undefined);
        throw err;
      }
    },
    { logger, what, signal },
  );
}
