import type { EventEnvelope } from '../events';
import type { StartCapsuleRunDeps } from '../runs';
import { type EventTriggerCatalog, matchEvent, type TriggerRef } from './matcher';
import { type FailedTrigger, startTriggeredRuns, type TriggeredRun } from './starter';

/** What one event did: the runs it started, the triggers it filtered out, the ones that failed. */
export interface EventDispatchOutcome {
  eventId: string;
  eventType: string;
  tenant: string;
  /** Event triggers for this type across the latest capsule versions. */
  listeners: number;
  started: TriggeredRun[];
  /** Triggers whose filter was false for this event. */
  filtered: TriggerRef[];
  /** Triggers whose filter failed at run time, or whose run the start path refused. */
  failed: FailedTrigger[];
}

export interface EventDispatcherDeps extends Omit<StartCapsuleRunDeps, 'registry'> {
  /** The capsule registry: finds listeners (`eventTriggered`) and resolves runs (`show`). */
  capsules: EventTriggerCatalog & StartCapsuleRunDeps['registry'];
}

/** Matches an event against every published capsule and starts a run per matching trigger. */
export type EventDispatcher = (envelope: EventEnvelope) => Promise<EventDispatchOutcome>;

/**
 * The one path from an event to runs, shared by the Kafka consumer and the webhook: match
 * (latest versions, filters, params rendered), then start each match through `startCapsuleRun`
 * with a request id derived from (event id, capsule id, trigger index), so delivering an event
 * twice, or on both the topic and the webhook, starts each run once.
 */
export function createEventDispatcher({ capsules, ...start }: EventDispatcherDeps): EventDispatcher {
  return async (envelope) => {
    const { listeners, matches, skipped } = await matchEvent(capsules, envelope);
    const { started, failed } = await startTriggeredRuns({ ...start, registry: capsules }, envelope, matches);
    const filterErrors: FailedTrigger[] = skipped
      .filter((s) => s.reason === 'filter_error')
      .map((s) => ({
        capsule: s.capsule,
        triggerIndex: s.triggerIndex,
        code: 'filter_error',
        field: `triggers[${s.triggerIndex}].filter`,
        message: s.message ?? 'the filter failed',
      }));
    return {
      eventId: envelope.id,
      eventType: envelope.type,
      tenant: envelope.tenant,
      listeners,
      started,
      filtered: skipped
        .filter((s) => s.reason === 'filtered')
        .map((s) => ({ capsule: s.capsule, triggerIndex: s.triggerIndex })),
      failed: [...filterErrors, ...failed],
    };
  };
}

/** `support.issue-triage@1.0.1 triggers[0]` */
export function describeTrigger(ref: TriggerRef): string {
  return `${ref.capsule.id}@${ref.capsule.version} triggers[${ref.triggerIndex}]`;
}

/**
 * Why an event cannot be (fully) served, or undefined when it was: no capsule listens for its
 * type, or some matched trigger failed. Runs that did start are named, so a reader of the dead
 * letter knows what already happened.
 */
export function unservedReason(outcome: EventDispatchOutcome): string | undefined {
  if (outcome.listeners === 0) {
    return (
      `no published capsule has an event trigger for "${outcome.eventType}": ` +
      'publish one with `triggers: [{ type: event, event: ' +
      `${outcome.eventType} }]\` or check the event type`
    );
  }
  if (outcome.failed.length === 0) return undefined;
  const failures = outcome.failed
    .map(
      (f) =>
        `${describeTrigger(f)}: ${f.message.startsWith(`${f.field}: `) ? '' : `${f.field}: `}${f.message}`,
    )
    .join('; ');
  const started =
    outcome.started.length === 0
      ? 'no run started'
      : `started ${outcome.started.map((s) => `${describeTrigger(s)} as ${s.workflowId}`).join(', ')}`;
  return `event ${outcome.eventId} (${outcome.eventType}): ${failures} (${started})`;
}
