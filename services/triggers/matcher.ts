import { type Capsule, compileTriggerFilter, runTriggerFilter, TriggerFilterError } from '../../capsules';
import type { VersionRecord } from '../../capsules/registry/registry-store';
import type { EventEnvelope } from '../events';
import { renderTriggerParams } from './render-params';

/** Where the matcher finds listeners: the capsule registry's `eventTriggered`. */
export interface EventTriggerCatalog {
  /** Latest non-deprecated version of every capsule with an event trigger for this type. */
  eventTriggered(eventType: string): Promise<Array<VersionRecord<Capsule>>>;
}

/** One capsule version's trigger, by its index in `triggers`. */
export interface TriggerRef {
  capsule: { id: string; version: string };
  triggerIndex: number;
}

/** A trigger whose filter passed, with its params rendered from the event. */
export interface TriggerMatch extends TriggerRef {
  params: Record<string, unknown>;
}

/** A trigger for the event's type that did not match: its filter was false, or failed. */
export interface SkippedTrigger extends TriggerRef {
  reason: 'filtered' | 'filter_error';
  /** Why the filter failed (`filter_error` only). */
  message?: string;
}

export interface EventMatches {
  /** Event triggers for this event's type across the latest capsule versions. */
  listeners: number;
  matches: TriggerMatch[];
  skipped: SkippedTrigger[];
}

/**
 * Finds every capsule whose latest non-deprecated version has an event trigger for the event's
 * type and whose filter is true for it, and renders those triggers' params from the event.
 * Capsules sharing a registry serve every tenant; the run's tenant is the event's.
 */
export async function matchEvent(
  catalog: EventTriggerCatalog,
  envelope: EventEnvelope,
): Promise<EventMatches> {
  const result: EventMatches = { listeners: 0, matches: [], skipped: [] };
  for (const record of await catalog.eventTriggered(envelope.type)) {
    const capsule = { id: record.id, version: record.version };
    record.document.triggers.forEach((trigger, triggerIndex) => {
      if (trigger.type !== 'event' || trigger.event !== envelope.type) return;
      result.listeners += 1;
      const ref = { capsule, triggerIndex };
      if (trigger.filter !== undefined) {
        let outcome;
        try {
          outcome = runTriggerFilter(compileTriggerFilter(trigger.filter), envelope);
        } catch (err) {
          // Published before filters were checked at publish time.
          if (!(err instanceof TriggerFilterError)) throw err;
          outcome = { matched: false as const, error: `the filter does not compile: ${err.message}` };
        }
        if (!outcome.matched) {
          result.skipped.push(
            outcome.error === undefined
              ? { ...ref, reason: 'filtered' }
              : { ...ref, reason: 'filter_error', message: outcome.error },
          );
          return;
        }
      }
      const params = renderTriggerParams(trigger.params ?? {}, record.document.params ?? {}, envelope);
      result.matches.push({ ...ref, params });
    });
  }
  return result;
}
