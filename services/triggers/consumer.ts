import {
  createEventConsumer,
  type CreateEventConsumerOptions,
  type EventConsumer,
  EventRejectedError,
  type EventHandler,
} from '../consumers';
import { type EventDispatcher, unservedReason } from './dispatch';

/** Topic event triggers listen on unless `EVENT_TRIGGERS_TOPIC` says otherwise. */
export const TRIGGER_EVENTS_TOPIC = 'somagent.events.v1';

/** Consumer group of the trigger consumer: one start per event across all its members. */
export const TRIGGER_CONSUMER_GROUP = 'somagent.event-triggers';

/**
 * Handles each new event by dispatching it to the capsules that listen for it. An event no capsule
 * listens for, or one a matched trigger cannot start from (params failing the capsule's schema, a
 * filter failing at run time), is rejected with the reason and dead-lettered; runs it did start
 * stay started. Starting is idempotent by request id, so a chunk replayed after a crash names the
 * same runs.
 */
export function triggerHandler(dispatch: EventDispatcher): EventHandler {
  return {
    rejectsInHandle: true,
    async handle(_client, envelope) {
      const reason = unservedReason(await dispatch(envelope));
      if (reason !== undefined) throw new EventRejectedError(reason);
    },
  };
}

export type TriggerConsumerOptions = Pick<CreateEventConsumerOptions, 'kafka' | 'pool' | 'logger'> &
  Partial<
    Pick<
      CreateEventConsumerOptions,
      'groupId' | 'sessionTimeout' | 'maxWaitTimeInMs' | 'registry' | 'fromBeginning' | 'chunkSize'
    >
  > & {
    dispatch: EventDispatcher;
    /** @default TRIGGER_EVENTS_TOPIC (config: EVENT_TRIGGERS_TOPIC) */
    topic?: string;
  };

/**
 * The event trigger consumer of `topic`: every valid event is recorded once per group
 * (`consumer_processed_events`), bad ones go to `event_dead_letters` with the reason.
 */
export function createTriggerConsumer({
  dispatch,
  topic = TRIGGER_EVENTS_TOPIC,
  groupId = TRIGGER_CONSUMER_GROUP,
  // Each event waits on Temporal starts inside the chunk's transaction: keep chunks short.
  chunkSize = 50,
  ...options
}: TriggerConsumerOptions): EventConsumer {
  return createEventConsumer({
    ...options,
    groupId,
    chunkSize,
    topics: [topic],
    handler: triggerHandler(dispatch),
  });
}
