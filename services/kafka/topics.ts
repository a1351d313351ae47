import type { Kafka } from 'kafkajs';
import { TOPICS } from '../events';
import type { Logger } from '../logger';

export interface EnsureTopicsOptions {
  /** @default every SomaGent topic */
  topics?: readonly string[];
  /** @default 4 */
  numPartitions?: number;
  /** @default -1 (the broker's default.replication.factor) */
  replicationFactor?: number;
  /** @default 10000 (10 s) */
  timeout?: number;
}

/**
 * Creates the SomaGent topics if they are missing. Where the broker's admin API is unavailable
 * (no rights, or a peer such as librdkafka's mock cluster that reports no controller) it logs a
 * warning and relies on the broker auto-creating topics on first use.
 *
 * @returns `true` when the admin API answered, `false` when it fell back to auto-creation.
 */
export async function ensureTopics(
  kafka: Kafka,
  logger: Logger,
  {
    topics = Object.values(TOPICS),
    numPartitions = 4,
    replicationFactor = -1,
    timeout = 10_000, // 10 s
  }: EnsureTopicsOptions = {},
): Promise<boolean> {
  const admin = kafka.admin({ retry: { retries: 1, initialRetryTime: 100 } });
  try {
    await admin.connect();
    const created = await admin.createTopics({
      topics: topics.map((topic) => ({ topic, numPartitions, replicationFactor })),
      waitForLeaders: true,
      timeout,
    });
    logger.info({ topics, created }, created ? 'created Kafka topics' : 'Kafka topics already exist');
    return true;
  } catch (err) {
    logger.warn(
      { err, topics },
      'Kafka admin API unavailable; relying on the broker to auto-create topics on first use',
    );
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
