import {
  createEvent,
  EnvelopeValidationError,
  parseEnvelope,
  topicForType,
  TOPICS,
} from '../../../services/events';

const valid = {
  schemaVersion: 1,
  id: '2b1c4a52-8f8f-4f9e-9a57-3f0f5b0c7a11',
  type: 'gate.decision',
  source: 'somagent/worker',
  time: '2026-11-21T10:00:00.000Z',
  tenant: 'acme',
  subject: 'run-1',
  data: { decision: 'allow' },
};

function problemsOf(value: unknown): string[] {
  try {
    parseEnvelope(value);
  } catch (err) {
    expect(err).toBeInstanceOf(EnvelopeValidationError);
    return (err as EnvelopeValidationError).problems.map((p) => p.path);
  }
  throw new Error('expected the envelope to be rejected');
}

describe('event envelope', () => {
  it('accepts a complete envelope unchanged', () => {
    expect(parseEnvelope(valid)).toEqual(valid);
  });

  it('fills id, time and schemaVersion for new events', () => {
    const event = createEvent({ type: 'run.started', source: 's', tenant: 't', subject: 'r', data: {} });
    expect(event.schemaVersion).toBe(1);
    expect(event.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(event.time)).not.toBeNaN();
  });

  it.each([
    ['id', { id: 'not-a-uuid' }],
    ['type', { type: 'NoDots' }],
    ['type', { type: 'gate..decision' }],
    ['source', { source: '' }],
    ['time', { time: 'yesterday' }],
    ['tenant', { tenant: '' }],
    ['subject', { subject: '' }],
    ['data', { data: 'text' }],
    ['data', { data: [1, 2] }],
    ['schemaVersion', { schemaVersion: 2 }],
  ])('rejects a bad %s, naming the field', (field, patch) => {
    expect(problemsOf({ ...valid, ...patch })).toContain(field);
  });

  it('rejects missing fields and unknown ones', () => {
    const { tenant: _tenant, ...missing } = valid;
    expect(problemsOf(missing)).toContain('tenant');
    expect(problemsOf({ ...valid, extra: true })).toEqual(['(envelope)']);
    expect(problemsOf('{}')).toEqual(['(envelope)']);
  });

  it('routes types to the three fixed topics', () => {
    expect(topicForType('constitution.updated')).toBe(TOPICS.constitution);
    expect(topicForType('training.session_opened')).toBe(TOPICS.training);
    expect(topicForType('gate.decision')).toBe(TOPICS.audit);
    expect(Object.values(TOPICS)).toEqual([
      'somagent.audit.v1',
      'somagent.training.v1',
      'somagent.constitution.v1',
    ]);
  });
});
