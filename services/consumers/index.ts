export { EventRejectedError } from './errors';
export { decodeEnvelope } from './decode';
export {
  createEventConsumer,
  type CreateEventConsumerOptions,
  type EventConsumer,
  type EventConsumerStats,
  type EventHandler,
} from './event-consumer';
export { type MessageOrigin } from './consumer-store';
export {
  createAuditConsumer,
  auditHandler,
  AUDIT_CONSUMER_GROUP,
  type AuditConsumerOptions,
} from './audit-consumer';
export {
  queryAuditEvents,
  AuditQueryError,
  type AuditQuery,
  type AuditRecord,
  type AuditPage,
} from './audit-query';
export {
  createTrainingConsumer,
  trainingHandler,
  TRAINING_CONSUMER_GROUP,
  type TrainingConsumerOptions,
} from './training-consumer';
export {
  createConstitutionNotifier,
  createConstitutionConsumer,
  constitutionReloadGroupId,
  CONSTITUTION_UPDATED,
  type ConstitutionNotifier,
  type ConstitutionUpdatedHandler,
  type ConstitutionConsumerOptions,
} from './constitution-updates';
export { pruneProcessedEvents } from './maintenance';
export { startWhenReachable } from './start-when-reachable';
