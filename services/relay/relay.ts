import { setTimeout as sleep } from 'node:timers/promises';
import type { IHeaders, Message, Producer, TopicMessages } from 'kafkajs';
import type { Pool, PoolClient } from 'pg';
import { Registry } from 'prom-client';
import { EnvelopeValidationError, type EventEnvelope, parseEnvelope, TOPICS } from '../events';
import type { Logger } from '../logger';
import { createRelayMetrics } from './metrics';
import { claimBatch, markFailed, markPublished, markRejected, type OutboxRow } from './outbox-store';

export interface CreateRelayOptions {
  pool: Pool;
  /** A connected kafkajs producer (see `createProducer`); the caller owns connect/disconnect. */
  producer: Producer;
  logger: Logger;
  /** Rows claimed and published per transaction. @default 100 */
  batchSize?: number;
  /** Pause after a batch that was not full, i.e. when the outbox is drained. @default 200 (ms) */
  pollIntervalMs?: number;
  /** First backoff after a failed publish; doubles per consecutive failure. @default 250 (ms) */
  initialBackoffMs?: number;
  /** @default 30000 (30 s) */
  maxBackoffMs?: number;
  /** Broker-side wait for all in-sync replicas to acknowledge. @default 30000 (30 s) */
  ackTimeoutMs?: number;
  /** Where metrics are registered. @default a new Registry */
  registry?: Registry;
}

/** What one pass over the outbox did. */
export interface RelayBatchResult {
  published: number;
  rejected: number;
  /** The publish error, when Kafka did not acknowledge the batch (rows stay pending). */
  error?: Error;
}

export interface Relay {
  /** Starts the polling loop; resolves at once. */
  start(): void;
  /** Stops after the batch in flight and waits for it. */
  stop(): Promise<void>;
  /** Claims, publishes and marks one batch; for tests, tools and the loop itself. */
  runOnce(): Promise<RelayBatchResult>;
  readonly registry: Registry;
}

const KNOWN_TOPICS: ReadonlySet<string> = new Set(Object.values(TOPICS));
const MAX_ERROR_LENGTH = 2_000;

/**
 * The outbox relay: moves committed outbox rows to Kafka, in batches, one transaction per
 * batch (claim → publish with `acks: -1` → mark published → commit). Delivery is at-least-once:
 * a crash between Kafka's ack and the commit republishes the batch, and consumers dedupe by
 * event id. Several relays may run at once; each key's events reach Kafka in outbox order
 * (see `claimBatch`). While Kafka is unavailable every attempt is recorded on the rows
 * (`attempts`, `last_error`) and the relay backs off exponentially.
 */
export function createRelay({
  pool,
  producer,
  logger: parentLogger,
  batchSize = 100,
  pollIntervalMs = 200,
  initialBackoffMs = 250,
  maxBackoffMs = 30_000, // 30 s
  ackTimeoutMs = 30_000, // 30 s
  registry = new Registry(),
}: CreateRelayOptions): Relay {
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError('batchSize must be a positive integer');
  const logger = parentLogger.child({ component: 'relay' });
  const metrics = createRelayMetrics(registry, pool, logger);
  let loop: Promise<void> | undefined;
  let abort: AbortController | undefined;

  async function runOnce(): Promise<RelayBatchResult> {
    const stopTimer = metrics.batchSeconds.startTimer();
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const result = await relayBatch(client);
      await client.query('COMMIT');
      if (result.error) metrics.publishErrors.inc();
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
      stopTimer();
    }
  }

  async function relayBatch(client: PoolClient): Promise<RelayBatchResult> {
    const rows = await claimBatch(client, batchSize);
    if (rows.length === 0) return { published: 0, rejected: 0 };

    const ready: { row: OutboxRow; envelope: EventEnvelope }[] = [];
    let rejected = 0;
    for (const row of rows) {
      const problem = validateRow(row);
      if (typeof problem === 'string') {
        await markRejected(client, row.id, problem);
        metrics.rejected.inc({ topic: row.topic });
        logger.error({ outboxId: row.id, topic: row.topic, reason: problem }, 'rejected outbox row');
        rejected += 1;
      } else {
        ready.push({ row, envelope: problem });
      }
    }
    if (ready.length === 0) return { published: 0, rejected };

    try {
      await producer.sendBatch({ topicMessages: toTopicMessages(ready), acks: -1, timeout: ackTimeoutMs });
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      await markFailed(
        client,
        ready.map(({ row }) => row.id),
        describe(error),
      );
      return { published: 0, rejected, error };
    }
    await markPublished(
      client,
      ready.map(({ row }) => row.id),
    );
    for (const { row } of ready) metrics.published.inc({ topic: row.topic });
    return { published: ready.length, rejected };
  }

  async function run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      let delay = 0;
      try {
        const result = await runOnce();
        if (result.error) {
          failures += 1;
          delay = backoff(failures, initialBackoffMs, maxBackoffMs);
          logger.warn(
            { err: result.error, failures, retryInMs: delay },
            'Kafka did not take the batch; retrying',
          );
        } else {
          if (failures > 0) logger.info({ failures }, 'Kafka publishing recovered');
          failures = 0;
          if (result.published + result.rejected < batchSize) delay = pollIntervalMs;
        }
      } catch (err) {
        // Postgres trouble: the claim never happened or was rolled back; nothing is lost.
        failures += 1;
        delay = backoff(failures, initialBackoffMs, maxBackoffMs);
        logger.error({ err, failures, retryInMs: delay }, 'relay batch failed');
      }
      if (delay > 0) await sleep(delay, undefined, { signal }).catch(() => undefined);
    }
  }

  return {
    registry,
    runOnce,
    start() {
      if (loop) return;
      abort = new AbortController();
      logger.info({ batchSize, pollIntervalMs }, 'relay started');
      loop = run(abort.signal);
    },
    async stop() {
      if (!loop) return;
      abort?.abort();
      await loop;
      loop = undefined;
      logger.info('relay stopped');
    },
  };
}

/** The validated envelope, or why the row can never be published. */
function validateRow(row: OutboxRow): EventEnvelope | string {
  if (!KNOWN_TOPICS.has(row.topic)) {
    return `unknown topic "${row.topic}": expected one of ${[...KNOWN_TOPICS].join(', ')}`;
  }
  let envelope: EventEnvelope;
  try {
    envelope = parseEnvelope(row.envelope);
  } catch (err) {
    if (err instanceof EnvelopeValidationError) return err.message;
    throw err;
  }
  if (envelope.id !== row.id) return `envelope id ${envelope.id} does not match outbox id ${row.id}`;
  return envelope;
}

function toTopicMessages(ready: readonly { row: OutboxRow; envelope: EventEnvelope }[]): TopicMessages[] {
  // Grouping keeps each topic's messages in seq order, hence each key's.
  const byTopic = new Map<string, Message[]>();
  for (const { row, envelope } of ready) {
    const headers: IHeaders = {
      'content-type': 'application/json',
      'event-id': envelope.id,
      'event-type': envelope.type,
      'schema-version': String(envelope.schemaVersion),
    };
    const messages = byTopic.get(row.topic) ?? [];
    messages.push({ key: row.key, value: JSON.stringify(envelope), headers });
    byTopic.set(row.topic, messages);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

function describe(error: Error): string {
  const text = `${error.name}: ${error.message}`;
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH)}…` : text;
}

/** Exponential backoff with full jitter in [50%, 100%] of the step, capped. */
export function backoff(failures: number, initialMs: number, maxMs: number): number {
  const step = Math.min(maxMs, initialMs * 2 ** Math.min(30, failures - 1));
  return Math.round(step * (0.5 + Math.random() * 0.5));
}
