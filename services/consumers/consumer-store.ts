import type { ClientBase } from 'pg';

/** Where a message came from. */
export interface MessageOrigin {
  groupId: string;
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
}

/**
 * Records that this consumer group handled an event. Returns `false` when it already had: a
 * redelivery (consumer restart, rebalance) or a republish by the relay. Runs in the same
 * transaction as the handler's write, so "recorded" and "written" commit together.
 */
export async function recordProcessed(
  client: ClientBase,
  eventId: string,
  origin: MessageOrigin,
): Promise<boolean> {
  const { rowCount } = await client.query(
    `INSERT INTO consumer_processed_events (consumer_group, event_id, topic, kafka_partition, kafka_offset)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (consumer_group, event_id) DO NOTHING`,
    [origin.groupId, eventId, origin.topic, origin.partition, origin.offset],
  );
  return rowCount === 1;
}

/** Keeps a message that can never be processed, with the reason and its exact bytes. */
export async function insertDeadLetter(
  client: ClientBase,
  origin: MessageOrigin,
  reason: string,
  raw: Buffer | null,
): Promise<void> {
  await client.query(
    `INSERT INTO event_dead_letters (consumer_group, topic, kafka_partition, kafka_offset, message_key, reason, raw)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (consumer_group, topic, kafka_partition, kafka_offset) DO NOTHING`,
    [origin.groupId, origin.topic, origin.partition, origin.offset, origin.key, reason, raw],
  );
}
