import { TOPICS } from '../events';
import {
  createEventConsumer,
  type EventConsumer,
  type EventHandler,
  type StoreConsumerOptions,
} from './event-consumer';

/** Consumer group of the training store. */
export const TRAINING_CONSUMER_GROUP = 'somagent.training-store';

/**
 * Stores every training event in `training_events`, keyed by the session (the envelope's
 * subject: the training run). `training_sessions` is a view over them: start, last event,
 * count, last type, and whether a `*.closed`/`*.completed`/`*.cancelled` event arrived.
 */
export const trainingHandler: EventHandler = {
  async handle(client, envelope) {
    await client.query(
      `INSERT INTO training_events (id, type, source, tenant, session_id, time, data)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (id) DO NOTHING`,
      [
        envelope.id,
        envelope.type,
        envelope.source,
        envelope.tenant,
        envelope.subject,
        envelope.time,
        JSON.stringify(envelope.data),
      ],
    );
  },
};

/** `groupId` defaults to TRAINING_CONSUMER_GROUP. */
export type TrainingConsumerOptions = StoreConsumerOptions;

/** The training store's consumer of `somagent.training.v1`. */
export function createTrainingConsumer({
  groupId = TRAINING_CONSUMER_GROUP,
  ...options
}: TrainingConsumerOptions): EventConsumer {
  return createEventConsumer({ ...options, groupId, topics: [TOPICS.training], handler: trainingHandler });
}
