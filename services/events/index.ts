export {
  createEvent,
  parseEnvelope,
  envelopeSchema,
  EnvelopeValidationError,
  ENVELOPE_SCHEMA_VERSION,
  type EventEnvelope,
  type NewEvent,
} from './envelope';
export { appendToOutbox, type AppendOptions } from './outbox';
export { TOPICS, topicForType, type Topic } from './topics';
