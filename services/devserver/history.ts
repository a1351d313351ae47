import type { Msg } from './proto';
import type { HistoryEvent } from './state';
import { msToTimestamp } from './time';

const attributeFieldCache = new Map<string, string>();

/**
 * Name of the attributes oneof field for an event type:
 * `EVENT_TYPE_WORKFLOW_TASK_SCHEDULED` → `workflowTaskScheduledEventAttributes`.
 */
export function attributesFieldFor(eventType: string): string {
  let field = attributeFieldCache.get(eventType);
  if (!field) {
    const words = eventType
      .replace(/^EVENT_TYPE_/, '')
      .toLowerCase()
      .split('_');
    field =
      words.map((w, i) => (i === 0 ? w : w.charAt(0).toUpperCase() + w.slice(1))).join('') +
      'EventAttributes';
    attributeFieldCache.set(eventType, field);
  }
  return field;
}

/** Builds a history event with id, time, type and its one matching attributes field. */
export function buildEvent(
  eventId: number,
  eventType: string,
  attributes: Msg,
  timeMs: number,
): HistoryEvent {
  return {
    eventId,
    eventTime: msToTimestamp(timeMs),
    eventType,
    [attributesFieldFor(eventType)]: attributes,
  };
}

/** The attributes of an event (the one `…EventAttributes` field). */
export function eventAttributes(event: HistoryEvent): Msg {
  return (event[attributesFieldFor(event.eventType)] ?? {}) as Msg;
}

const CLOSE_EVENT_TYPES = new Set([
  'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED',
  'EVENT_TYPE_WORKFLOW_EXECUTION_FAILED',
  'EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED',
  'EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED',
  'EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW',
  'EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT',
]);

/** True for the events that close a run. */
export function isCloseEvent(eventType: string): boolean {
  return CLOSE_EVENT_TYPES.has(eventType);
}
