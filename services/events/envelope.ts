import { randomUUID } from 'node:crypto';
import { z } from 'zod';

/** Bumped when the envelope's shape changes; consumers reject versions they do not know. */
export const ENVELOPE_SCHEMA_VERSION = 1;

/**
 * One envelope for every event on every topic (audit, training, constitution). `subject` is the
 * run (workflow id) the event is about, or the tenant for tenant-wide events; it is the Kafka key.
 */
export const envelopeSchema = z.strictObject({
  schemaVersion: z.literal(ENVELOPE_SCHEMA_VERSION, {
    message: `expected schemaVersion ${ENVELOPE_SCHEMA_VERSION}`,
  }),
  id: z.uuid({ message: 'expected a UUID' }),
  type: z.string().regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/, {
    message: 'expected a dotted lower-case type such as "gate.decision"',
  }),
  source: z.string().min(1, { message: 'expected the emitting component, e.g. "somagent/worker"' }),
  time: z.iso.datetime({ offset: true, message: 'expected an ISO-8601 timestamp' }),
  tenant: z.string().min(1, { message: 'expected a tenant id' }),
  subject: z.string().min(1, { message: 'expected the run id (or tenant) the event is about' }),
  data: z.record(z.string(), z.unknown(), { message: 'expected a JSON object' }),
});

export type EventEnvelope = z.infer<typeof envelopeSchema>;

/** What a producer supplies; id, time and schemaVersion are filled in when omitted. */
export type NewEvent = Omit<EventEnvelope, 'id' | 'time' | 'schemaVersion'> &
  Partial<Pick<EventEnvelope, 'id' | 'time'>>;

/** Raised for an envelope that does not match the schema; `problems` name each bad field. */
export class EnvelopeValidationError extends Error {
  override readonly name = 'EnvelopeValidationError';

  constructor(readonly problems: readonly { path: string; message: string }[]) {
    super(`Invalid event envelope: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  }
}

/** Validates any value as an envelope; throws {@link EnvelopeValidationError} naming the fields. */
export function parseEnvelope(value: unknown): EventEnvelope {
  const parsed = envelopeSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new EnvelopeValidationError(
    parsed.error.issues.map((issue) => ({
      path: issue.path.length ? issue.path.join('.') : '(envelope)',
      message: issue.message,
    })),
  );
}

/** Completes and validates a new event. */
export function createEvent(event: NewEvent): EventEnvelope {
  return parseEnvelope({
    schemaVersion: ENVELOPE_SCHEMA_VERSION,
    id: event.id ?? randomUUID(),
    time: event.time ?? new Date().toISOString(),
    ...event,
  });
}
