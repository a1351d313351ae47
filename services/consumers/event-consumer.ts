import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Pool, PoolClient } from 'pg';
import { Counter, type Registry } from 'prom-client';
import type { EventEnvelope } from '../events';
import { createConsumer } from '../kafka';
import type { Logger } from '../logger';
import { withTransaction } from '../postgres';
import { insertDeadLetter, type MessageOrigin, recordProcessed } from './consumer-store';
import { decodeEnvelope } from './decode';
import { EventRejectedError } from './errors';

/** What a consumer does with each valid, not-yet-seen event. */
export interface EventHandler {
  /**
   * Checks what the envelope schema cannot (e.g. `data` of a given type) before anything is
   * written; throws {@link EventRejectedError} to dead-letter the message.
   */
  validate?(envelope: EventEnvelope): void;
  /** Writes the event inside the consumer's transaction. */
  handle(client: PoolClient, envelope: EventEnvelope, origin: MessageOrigin): Promise<void>;
  /**
   * `handle` may throw {@link EventRejectedError} too, for what only handling can tell (e.g. no
   * capsule listens for the event). It then runs under a savepoint: its writes roll back, the
   * message is dead-lettered, and the event id stays recorded, so a redelivery is skipped.
   * @default false (a savepoint per message costs two round trips)
   */
  rejectsInHandle?: boolean;
}

export interface CreateEventConsumerOptions {
  kafka: Kafka;
  pool: Pool;
  logger: Logger;
  groupId: string;
  topics: string[];
  handler: EventHandler;
  /**
   * Record each handled event id in `consumer_processed_events` and skip ids seen before.
   * Turn off only for handlers that are idempotent on their own and write nothing.
   * @default true
   */
  dedupe?: boolean;
  /** Read topics from the start when the group has no committed offset. @default true */
  fromBeginning?: boolean;
  /** Messages per Postgres transaction and offset commit. @default 500 */
  chunkSize?: number;
  /** @default 30000 (30 s); at least 6000 against librdkafka's mock cluster */
  sessionTimeout?: number;
  /** @default 3000 (3 s) */
  heartbeatInterval?: number;
  /** Longest a fetch waits for data; bounds delivery latency when traffic is low. @default 500 (0.5 s) */
  maxWaitTimeInMs?: number;
  /** How long `start()` waits for the first group join. @default 60000 (60 s) */
  joinTimeoutMs?: number;
  /** Where `somagent_consumer_events_total{group,outcome}` is registered, if anywhere. */
  registry?: Registry;
}

/**
 * Options of a consumer that stores one topic's events (audit, training): the store picks the
 * topic and handler, the caller the connections, group and tuning.
 */
export type StoreConsumerOptions = Pick<CreateEventConsumerOptions, 'kafka' | 'pool' | 'logger'> &
  Partial<Pick<CreateEventConsumerOptions, 'groupId' | 'sessionTimeout' | 'maxWaitTimeInMs' | 'registry'>>;

/** Counters of what a consumer did since it started. */
export interface EventConsumerStats {
  handled: number;
  duplicates: number;
  deadLettered: number;
}

export interface EventConsumer {
  /** Connects, subscribes and resolves once the consumer joined its group. */
  start(): Promise<void>;
  /** Finishes the chunk in flight and leaves the group. */
  stop(): Promise<void>;
  readonly stats: Readonly<EventConsumerStats>;
  readonly consumer: Consumer;
}

/**
 * A consumer-group member that is at-least-once and idempotent: for each chunk of a partition's
 * batch it writes in ONE Postgres transaction — the handler's rows, the processed event ids, and
 * dead letters for messages that can never be processed — and commits the Kafka offsets only
 * after that transaction committed. A crash in between redelivers the chunk; the recorded event
 * ids make the redelivery a no-op. Transient errors (Postgres down) are thrown to kafkajs, which
 * retries and restarts the consumer from the last committed offset.
 */
export function createEventConsumer({
  kafka,
  pool,
  logger: parentLogger,
  groupId,
  topics,
  handler,
  dedupe = true,
  fromBeginning = true,
  chunkSize = 500,
  sessionTimeout,
  heartbeatInterval,
  maxWaitTimeInMs,
  joinTimeoutMs = 60_000, // 60 s
  registry,
}: CreateEventConsumerOptions): EventConsumer {
  const logger = parentLogger.child({ component: 'consumer', groupId });
  const consumer = createConsumer(kafka, { groupId, sessionTimeout, heartbeatInterval, maxWaitTimeInMs });
  const stats: EventConsumerStats = { handled: 0, duplicates: 0, deadLettered: 0 };
  const counted = registry && consumerEventsCounter(registry);
  const count = (outcome: keyof EventConsumerStats) => {
    stats[outcome] += 1;
    counted?.inc({ group: groupId, outcome });
  };

  async function processMessage(
    client: PoolClient,
    origin: MessageOrigin,
    message: KafkaMessage,
  ): Promise<void> {
    let envelope: EventEnvelope;
    try {
      envelope = decodeEnvelope(message.value);
      handler.validate?.(envelope);
    } catch (err) {
      if (!(err instanceof EventRejectedError)) throw err;
      await deadLetter(client, origin, err.message, message.value);
      return;
    }
    if (dedupe && !(await recordProcessed(client, envelope.id, origin))) {
      count('duplicates');
      return;
    }
    if (!handler.rejectsInHandle) {
      await handler.handle(client, envelope, origin);
      count('handled');
      return;
    }
    await client.query('SAVEPOINT event_handler');
    try {
      await handler.handle(client, envelope, origin);
    } catch (err) {
      if (!(err instanceof EventRejectedError)) throw err;
      await client.query('ROLLBACK TO SAVEPOINT event_handler');
      await deadLetter(client, origin, err.message, message.value);
      return;
    }
    await client.query('RELEASE SAVEPOINT event_handler');
    count('handled');
  }

  async function deadLetter(
    client: PoolClient,
    origin: MessageOrigin,
    reason: string,
    raw: Buffer | null,
  ): Promise<void> {
    await insertDeadLetter(client, origin, reason, raw);
    count('deadLettered');
    logger.warn({ ...origin, reason }, 'dead-lettered a message');
  }

  async function writeChunk(topic: string, partition: number, chunk: KafkaMessage[]): Promise<void> {
    await withTransaction(pool, async (client) => {
      for (const message of chunk) await processMessage(client, originOf(topic, partition, message), message);
    });
  }

  /**
   * Writes a chunk; when Postgres refuses a value (a data exception such as a NUL character in
   * JSON, which no retry can fix) it retries message by message and dead-letters the culprit, so
   * one poison message cannot wedge its partition. Other errors are transient and propagate.
   */
  async function writeChunkOrIsolate(topic: string, partition: number, chunk: KafkaMessage[]): Promise<void> {
    try {
      await writeChunk(topic, partition, chunk);
    } catch (err) {
      if (!isDataException(err)) throw err;
      if (chunk.length > 1) {
        for (const message of chunk) await writeChunkOrIsolate(topic, partition, [message]);
        return;
      }
      const message = chunk[0]!;
      const origin = originOf(topic, partition, message);
      const reason = `Postgres rejected the event: ${err.message} (SQLSTATE ${err.code})`;
      await withTransaction(pool, (client) => insertDeadLetter(client, origin, reason, message.value));
      count('deadLettered');
      logger.warn({ ...origin, reason }, 'dead-lettered a message');
    }
  }

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { topic, partition, messages } = payload.batch;
    for (let i = 0; i < messages.length; i += chunkSize) {
      if (!payload.isRunning() || payload.isStale()) return;
      const chunk = messages.slice(i, i + chunkSize);
      await writeChunkOrIsolate(topic, partition, chunk);
      const last = chunk[chunk.length - 1]!.offset;
      payload.resolveOffset(last);
      // Only now is the chunk durable in Postgres: committing earlier could lose it.
      await consumer.commitOffsets([{ topic, partition, offset: (BigInt(last) + 1n).toString() }]);
      await payload.heartbeat();
    }
  }

  function originOf(topic: string, partition: number, message: KafkaMessage): MessageOrigin {
    return { groupId, topic, partition, offset: message.offset, key: message.key?.toString('utf8') ?? null };
  }

  consumer.on(consumer.events.CRASH, ({ payload }) =>
    logger.error({ err: payload.error, restart: payload.restart }, 'consumer crashed'),
  );

  return {
    consumer,
    stats,
    async start() {
      let timer: NodeJS.Timeout | undefined;
      let removeListener: (() => void) | undefined;
      const joined = new Promise<void>((resolve, reject) => {
        timer = setTimeout(
          () => reject(new Error(`consumer group ${groupId} did not join within ${joinTimeoutMs} ms`)),
          joinTimeoutMs,
        );
        removeListener = consumer.on(consumer.events.GROUP_JOIN, () => resolve());
      });
      try {
        await consumer.connect();
        await consumer.subscribe({ topics, fromBeginning });
        await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch });
        await joined;
      } finally {
        clearTimeout(timer);
        removeListener?.();
      }
      logger.info({ topics }, 'consumer joined its group');
    },
    async stop() {
      await consumer.disconnect();
    },
  };
}

/** Postgres "data exception" errors (SQLSTATE class 22): the value itself is unacceptable. */
function isDataException(err: unknown): err is Error & { code: string } {
  if (!(err instanceof Error) || !('code' in err)) return false;
  const { code } = err;
  return typeof code === 'string' && code.startsWith('22');
}

const CONSUMER_EVENTS = 'somagent_consumer_events_total';

/** One counter per registry, shared by every consumer registered on it. */
function consumerEventsCounter(registry: Registry): Counter<'group' | 'outcome'> {
  const existing = registry.getSingleMetric(CONSUMER_EVENTS);
  if (existing) return existing as Counter<'group' | 'outcome'>;
  return new Counter({
    name: CONSUMER_EVENTS,
    help: 'Kafka messages a consumer group processed, by outcome (handled, duplicates, deadLettered)',
    labelNames: ['group', 'outcome'],
    registers: [registry],
  });
}
