import type { ClientBase } from 'pg';
import { createEvent, type EventEnvelope, type NewEvent } from './envelope';
import { type Topic, topicForType } from './topics';

export interface AppendOptions {
  /** @default topicForType(event.type) */
  topic?: Topic;
  /** Kafka key; events with one key keep their order. @default event.subject */
  key?: string;
  /**
   * `ignore` turns a second insert of the same event id into a no-op (`ON CONFLICT (id) DO
   * NOTHING`), for producers whose event ids are deterministic (a retried gate decision).
   * @default 'error' (a duplicate id fails with the unique violation)
   */
  onConflict?: 'error' | 'ignore';
}

/**
 * Writes an event to the transactional outbox using the caller's client, so it commits or rolls
 * back together with the change it describes. The caller owns BEGIN/COMMIT. The relay publishes
 * committed rows to Kafka; an event that never commits is never published.
 *
 * @returns the validated envelope as stored.
 */
export async function appendToOutbox(
  client: ClientBase,
  event: NewEvent | EventEnvelope,
  { topic, key, onConflict = 'error' }: AppendOptions = {},
): Promise<EventEnvelope> {
  const envelope = createEvent(event);
  const conflict = onConflict === 'ignore' ? ' ON CONFLICT (id) DO NOTHING' : '';
  await client.query(`INSERT INTO outbox (id, topic, key, envelope) VALUES ($1, $2, $3, $4)${conflict}`, [
    envelope.id,
    topic ?? topicForType(envelope.type),
    key ?? envelope.subject,
    JSON.stringify(envelope),
  ]);
  return envelope;
}
