import {
  type Consumer,
  type ISocketFactory,
  Kafka,
  Partitioners,
  type Producer,
  type RetryOptions,
  type SASLOptions,
} from 'kafkajs';
import type { Logger } from '../logger';
import { kafkaLogLevel, pinoLogCreator } from './log-creator';

export interface CreateKafkaOptions {
  /** Bootstrap brokers, `host:port` each (config `KAFKA_BROKERS`). */
  brokers: string[];
  /** Shown in broker logs and quotas (config `KAFKA_CLIENT_ID`). */
  clientId: string;
  logger: Logger;
  /** @default 3000 (3 s) */
  connectionTimeout?: number;
  /** @default 30000 (30 s) */
  requestTimeout?: number;
  /**
   * kafkajs's own retry for each request. Kept short by default: the relay and the consumers
   * have their own backoff loops, and a long in-client retry only hides an outage.
   * @default { retries: 3, initialRetryTime: 200, maxRetryTime: 2000 }
   */
  retry?: RetryOptions;
  /** TLS to the brokers. @default false */
  ssl?: boolean;
  /** SASL credentials; see `kafkaOptionsFromConfig`. */
  sasl?: SASLOptions;
  /** How sockets are opened; tests route them through a TCP proxy to simulate outages. */
  socketFactory?: ISocketFactory;
}

/** Builds the one Kafka client of a process; producers and consumers are created from it. */
export function createKafka({
  brokers,
  clientId,
  logger,
  connectionTimeout = 3_000, // 3 s
  requestTimeout = 30_000, // 30 s
  retry = { retries: 3, initialRetryTime: 200, maxRetryTime: 2_000 },
  ssl = false,
  sasl,
  socketFactory,
}: CreateKafkaOptions): Kafka {
  const kafkaLogger = logger.child({ component: 'kafka' });
  return new Kafka({
    brokers,
    clientId,
    connectionTimeout,
    requestTimeout,
    retry,
    logLevel: kafkaLogLevel(kafkaLogger),
    logCreator: pinoLogCreator(kafkaLogger),
    ssl,
    ...(sasl ? { sasl } : {}),
    ...(socketFactory ? { socketFactory } : {}),
  });
}

export interface CreateProducerOptions {
  /**
   * Idempotent producer (config `KAFKA_IDEMPOTENT`): the broker drops duplicates of retried
   * batches. Production brokers support it; librdkafka's mock cluster does not (it reports
   * controller id 0), so it is a setting rather than hard-wired.
   * @default false
   */
  idempotent?: boolean;
}

/**
 * A producer for events. Without idempotence at most one request is in flight, so a retried
 * batch can never overtake a later one and per-key order survives retries.
 */
export function createProducer(kafka: Kafka, { idempotent = false }: CreateProducerOptions = {}): Producer {
  return kafka.producer({
    // Murmur2 like the Java client, so a key lands on the same partition whoever produces it.
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent,
    maxInFlightRequests: idempotent ? 5 : 1,
    // Topics are created at start-up (ensureTopics); where the admin API is unavailable the
    // broker's auto-creation is the fallback.
    allowAutoTopicCreation: true,
  });
}

export interface CreateConsumerOptions {
  groupId: string;
  /**
   * Time without heartbeats before the group evicts a member. librdkafka's mock cluster needs
   * at least 6 s; a real cluster is happy with the kafkajs default.
   * @default 30000 (30 s)
   */
  sessionTimeout?: number;
  /** @default 3000 (3 s) */
  heartbeatInterval?: number;
  /** How long a fetch waits for data; bounds delivery latency when traffic is low. @default 500 (0.5 s) */
  maxWaitTimeInMs?: number;
}

/** A consumer-group member. Offsets are committed by the caller after its own writes. */
export function createConsumer(
  kafka: Kafka,
  {
    groupId,
    sessionTimeout = 30_000, // 30 s
    heartbeatInterval = 3_000, // 3 s
    maxWaitTimeInMs = 500, // 0.5 s
  }: CreateConsumerOptions,
): Consumer {
  if (sessionTimeout < 6_000) throw new RangeError('sessionTimeout must be at least 6000 ms');
  if (heartbeatInterval >= sessionTimeout) {
    throw new RangeError('heartbeatInterval must be shorter than sessionTimeout');
  }
  return kafka.consumer({ groupId, sessionTimeout, heartbeatInterval, maxWaitTimeInMs });
}
