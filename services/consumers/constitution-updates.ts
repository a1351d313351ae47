import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import type { Registry } from 'prom-client';
import { TOPICS, type EventEnvelope } from '../events';
import type { Logger } from '../logger';
import { createEventConsumer, type EventConsumer } from './event-consumer';

/** The event the constitution service writes after storing a new version. */
export const CONSTITUTION_UPDATED = 'constitution.updated';

/** Called with each `constitution.updated` envelope; may be async (e.g. reload from Postgres). */
export type ConstitutionUpdatedHandler = (event: EventEnvelope) => void | Promise<void>;

export interface ConstitutionNotifier {
  /** Subscribes a handler; returns the unsubscribe function. */
  onConstitutionUpdated(handler: ConstitutionUpdatedHandler): () => void;
  /**
   * Calls every handler in turn and waits for them, so updates are seen in the order they were
   * published. A failing handler is logged and does not stop the others.
   */
  notify(event: EventEnvelope): Promise<void>;
}

/** In-process fan-out of constitution updates to the parts of a worker that cache it (the gate). */
export function createConstitutionNotifier(logger: Logger): ConstitutionNotifier {
  const handlers = new Set<ConstitutionUpdatedHandler>();
  return {
    onConstitutionUpdated(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    async notify(event) {
      for (const handler of [...handlers]) {
        try {
          await handler(event);
        } catch (err) {
          logger.error({ err, eventId: event.id }, 'constitution update handler failed');
        }
      }
    },
  };
}

/** A consumer group of its own for one process: every worker must see every update. */
export function constitutionReloadGroupId(): string {
  return `somagent.constitution-reload.${hostname()}.${randomUUID()}`;
}

export interface ConstitutionConsumerOptions {
  kafka: Kafka;
  pool: Pool;
  logger: Logger;
  notifier: ConstitutionNotifier;
  /**
   * Every worker must see every update, so each process is its own consumer group.
   * @default {@link constitutionReloadGroupId} (`somagent.constitution-reload.<host>.<random>`)
   */
  groupId?: string;
  sessionTimeout?: number;
  registry?: Registry;
  /** Ids remembered to skip redeliveries. @default 1000 */
  rememberIds?: number;
  /** Replay the topic from its start when the group is new. @default false */
  fromBeginning?: boolean;
}

/**
 * Consumes `somagent.constitution.v1` and notifies in-process subscribers of
 * `constitution.updated`. It starts at the latest offset: a starting worker loads the current
 * constitution from Postgres itself and only needs the updates that follow. Reloading is
 * idempotent, so dedupe is a bounded in-memory set rather than a table row per worker.
 *
 * Start it (and await `start()`) before loading the current constitution from Postgres, so an
 * update committed after the load is always delivered; one committed before is in the load.
 */
export function createConstitutionConsumer({
  notifier,
  groupId = constitutionReloadGroupId(),
  rememberIds = 1_000,
  fromBeginning = false,
  ...options
}: ConstitutionConsumerOptions): EventConsumer {
  const seen = new Set<string>();
  return createEventConsumer({
    ...options,
    groupId,
    topics: [TOPICS.constitution],
    fromBeginning,
    dedupe: false,
    handler: {
      async handle(_client, envelope) {
        if (envelope.type !== CONSTITUTION_UPDATED || seen.has(envelope.id)) return;
        seen.add(envelope.id);
        if (seen.size > rememberIds) seen.delete(seen.values().next().value!);
        await notifier.notify(envelope);
      },
    },
  });
}
