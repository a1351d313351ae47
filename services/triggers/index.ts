export { renderTriggerParams, type TriggerBindings } from './render-params';
export {
  matchEvent,
  type EventMatches,
  type EventTriggerCatalog,
  type SkippedTrigger,
  type TriggerMatch,
  type TriggerRef,
} from './matcher';
export { startTriggeredRuns, triggerRequestId, type FailedTrigger, type TriggeredRun } from './starter';
export {
  createEventDispatcher,
  describeTrigger,
  unservedReason,
  type EventDispatchOutcome,
  type EventDispatcher,
  type EventDispatcherDeps,
} from './dispatch';
export {
  createTriggerConsumer,
  triggerHandler,
  TRIGGER_CONSUMER_GROUP,
  TRIGGER_EVENTS_TOPIC,
  type TriggerConsumerOptions,
} from './consumer';
export { createWebhookServer, PUBLISH_EVENTS_SCOPE, type WebhookServerDeps } from './webhook';
export { eventDispatcherFor, startEventWebhook } from './start-webhook';
