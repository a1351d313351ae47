import { randomUUID } from 'node:crypto';
import { decodeEnvelope, EventRejectedError } from '../../../services/consumers';
import { createEvent } from '../../../services/events';

const valid = () =>
  createEvent({ type: 'gate.decision', source: 's', tenant: 't', subject: 'run-1', data: {} });

describe('decodeEnvelope', () => {
  it('returns the validated envelope', () => {
    const event = valid();
    expect(decodeEnvelope(Buffer.from(JSON.stringify(event)))).toEqual(event);
  });

  it.each([
    ['an empty message', null, /^empty message/],
    ['zero bytes', Buffer.alloc(0), /^empty message/],
    ['bad JSON', Buffer.from('{"id":'), /^not JSON: /],
    ['a JSON array', Buffer.from('[]'), /^Invalid event envelope: \(envelope\)/],
    ['a bad id', Buffer.from(JSON.stringify({ ...valid(), id: 'x' })), /id: expected a UUID/],
    ['an unknown field', Buffer.from(JSON.stringify({ ...valid(), extra: 1 })), /extra/],
    [
      'a future version',
      Buffer.from(JSON.stringify({ ...valid(), schemaVersion: 2 })),
      /schemaVersion: expected schemaVersion 1/,
    ],
  ])('rejects %s with a reason', (_name, value, reason) => {
    let error: unknown;
    try {
      decodeEnvelope(value);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(EventRejectedError);
    expect((error as Error).message).toMatch(reason);
  });

  it('keeps the cause', () => {
    try {
      decodeEnvelope(Buffer.from(JSON.stringify({ ...valid(), id: randomUUID(), time: 'soon' })));
      throw new Error('expected a rejection');
    } catch (err) {
      expect((err as Error).cause).toMatchObject({ name: 'EnvelopeValidationError' });
    }
  });
});
