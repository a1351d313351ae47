import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import {
  constitutionReloadGroupId,
  createConstitutionConsumer,
  createConstitutionNotifier,
} from '../../services/consumers';
import { retryUntil } from '../../services/kafka';
import type { Logger } from '../../services/logger';
import { subscribeToConstitutionUpdates, type ConstitutionHolder } from './constitution-holder';

export interface ConstitutionSubscriptionDeps {
  kafka: Kafka;
  /** Required by the event consumer; the constitution consumer writes nothing to it. */
  pool: Pool;
  holder: Pick<ConstitutionHolder, 'apply' | 'refreshFromStore'>;
  logger: Logger;
  /** Kafka consumer session timeout (config `KAFKA_SESSION_TIMEOUT_MS`). */
  sessionTimeout?: number;
  /** Consumer group; one per process by default, so every worker sees every update. */
  groupId?: string;
}

/** A running subscription; `stop()` leaves the consumer group and stops retrying to join it. */
export interface ConstitutionSubscription {
  /** The consumer group of this process. */
  readonly groupId: string;
  /**
   * Resolves once the consumer joined its group, fetched once (its starting offsets are fixed)
   * and the store was re-read; pending while Kafka stays down, rejected when stopped before.
   */
  readonly joined: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Hot reload of the worker's constitution from Kafka: consumes `constitution.updated` and hands
 * each event to the holder, which verifies the signed document against the worker's trust store
 * and installs it only when newer. It joins in the background and keeps retrying while Kafka is
 * down, so a worker never waits for Kafka to start gating (the holder's Postgres poll covers the
 * time without it). Once joined and past its first fetch it re-reads the store: the consumer
 * starts at the latest offset, so an update published between the holder's start-up load and
 * that first fetch never reaches it by Kafka, and the store is the only place to find it.
 */
export function startConstitutionSubscription({
  kafka,
  pool,
  holder,
  logger,
  sessionTimeout,
  groupId = constitutionReloadGroupId(),
}: ConstitutionSubscriptionDeps): ConstitutionSubscription {
  const log = logger.child({ component: 'constitution-subscription' });
  const notifier = createConstitutionNotifier(log);
  subscribeToConstitutionUpdates(holder, (handler) => notifier.onConstitutionUpdated(handler), log);
  const consumer = createConstitutionConsumer({
    kafka,
    pool,
    logger: log,
    notifier,
    ...(sessionTimeout !== undefined ? { sessionTimeout } : {}),
    groupId,
  });
  const abort = new AbortController();
  const stoppedBeforeJoining = () => new Error('constitution subscription stopped before it joined');
  const aborted = new Promise<never>((_, reject) =>
    abort.signal.addEventListener('abort', () => reject(stoppedBeforeJoining()), { once: true }),
  );
  aborted.catch(() => undefined);
  const kafkaConsumer = consumer.consumer;
  // The first completed fetch, not the join, is when the group's starting offsets are fixed.
  const firstFetch = () =>
    new Promise<void>((resolve) => {
      const remove = kafkaConsumer.on(kafkaConsumer.events.FETCH, () => {
        remove();
        resolve();
      });
    });
  const joined = retryUntil(
    async () => {
      const fetched = firstFetch();
      try {
        await consumer.start();
      } catch (err) {
        await consumer.stop().catch(() => undefined);
        throw err;
      }
      await Promise.race([fetched, aborted]);
    },
    { logger: log, what: 'subscribe to constitution updates on Kafka', signal: abort.signal },
  ).then(
    async () => {
      log.info('subscribed to constitution updates on Kafka');
      await holder.refreshFromStore().catch((err: unknown) => {
        log.error({ err }, 'constitution refresh after joining failed; the poll will retry');
      });
    },
    (err: unknown) => {
      // However the abort surfaced (the backoff sleep, a join cut short), say what happened.
      throw abort.signal.aborted ? stoppedBeforeJoining() : err;
    },
  );
  // Observed by stop(); an abort while Kafka is down is not an error.
  const settled = joined.catch(() => undefined);
  return {
    groupId,
    joined,
    async stop() {
      abort.abort();
      const leave = () =>
        consumer.stop().catch((err: unknown) => log.error({ err }, 'leaving the consumer group failed'));
      // Disconnecting first cuts short a join in progress; once that attempt has settled, a
      // second (idempotent) disconnect covers a join that completed in between.
      await leave();
      await settled;
      await leave();
    },
  };
}
