import { EnvelopeValidationError, type EventEnvelope, parseEnvelope } from '../events';
import { EventRejectedError } from './errors';

/**
 * Turns a Kafka message value into a validated envelope, or throws {@link EventRejectedError}
 * saying why not. The envelope is validated again on receipt even though the relay validated it
 * before publishing: other producers may share the topic, and versions may drift.
 */
export function decodeEnvelope(value: Buffer | null): EventEnvelope {
  if (value === null || value.length === 0)
    throw new EventRejectedError('empty message: expected a JSON event envelope');
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch (err) {
    throw new EventRejectedError(`not JSON: ${(err as Error).message}`, { cause: err });
  }
  try {
    return parseEnvelope(json);
  } catch (err) {
    if (err instanceof EnvelopeValidationError) throw new EventRejectedError(err.message, { cause: err });
    throw err;
  }
}
