import Ajv from 'ajv';
import { factsFromDocument } from '../../../support/fake-slm/material';
import {
  answerForSchema,
  offSchemaAnswer,
  type AnswerMaterial,
  type JsonSchema,
} from '../../../support/fake-slm/schema-answer';
import { DEFAULT_FINISH, MEETING_EXTRACT, nullable, strictObject, TRANSCRIPT } from './fixtures';

// ajv is already in node_modules (ESLint's); a real validator keeps the generator honest.
const ajv = new Ajv({ allErrors: true });

const material: AnswerMaterial = {
  facts: factsFromDocument(TRANSCRIPT),
  corpus: TRANSCRIPT,
  title: 'SomaGent launch sync',
  summary: 'Read meetings/transcript.txt. Two decisions, two action items, two open questions.',
};
const empty: AnswerMaterial = { facts: [], corpus: '', summary: 'Nothing to report.' };

const SCHEMAS: Record<string, JsonSchema> = {
  'default finish (text result)': DEFAULT_FINISH,
  'meeting extract (strict)': MEETING_EXTRACT,
  'wrapped list of strings': strictObject({ result: { type: 'array', items: { type: 'string' } } }),
  'wrapped enum': strictObject({
    result: { type: 'string', enum: ['low', 'medium', 'high'], description: 'Urgency' },
  }),
  'wrapped bounded integer': strictObject({
    result: { type: 'integer', minimum: 10, exclusiveMaximum: 20, multipleOf: 5 },
  }),
  'nested strict report': strictObject({
    title: { type: 'string' },
    summary: nullable({ type: 'string' }),
    priority: { type: 'integer', minimum: 1, maximum: 5 },
    confidence: { type: 'number', minimum: 0, maximum: 1 },
    status: { type: ['string', 'null'], enum: ['open', 'closed', null] },
    tags: nullable({ type: 'array', items: { type: 'string' } }),
    hasOpenQuestions: { type: 'boolean' },
    risks: { type: 'array', items: { type: 'string' } },
    sections: {
      type: 'array',
      items: strictObject({
        heading: { type: 'string' },
        bullets: { type: 'array', items: { type: 'string' } },
        owner: nullable({ type: 'string' }),
      }),
    },
    meta: strictObject({
      decisionCount: { type: 'integer', minimum: 0 },
      source: nullable({ type: 'string', description: 'Where it came from' }),
    }),
  }),
  'all fields nullable': strictObject({
    note: nullable({ type: 'string' }),
    count: nullable({ type: 'integer' }),
  }),
  'non-strict with constraints and refs': {
    type: 'object',
    required: ['id', 'points', 'when'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      when: { type: 'string', format: 'date' },
      contact: { type: 'string', format: 'email' },
      kind: { const: 'meeting' },
      points: {
        type: 'array',
        items: { type: 'string', minLength: 5, maxLength: 40 },
        minItems: 1,
        maxItems: 2,
      },
      labels: { type: 'array', items: { type: 'string' }, minItems: 3, uniqueItems: true },
      owner: { anyOf: [{ $ref: '#/definitions/person' }, { type: 'null' }] },
      severity: { type: 'string', enum: ['minor', 'major'] },
    },
    definitions: {
      person: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
    },
  },
};

describe('answerForSchema', () => {
  it.each(Object.entries(SCHEMAS))('answers %s on-schema, with material and without', (_name, schema) => {
    const validate = ajv.compile(schema);
    for (const from of [material, empty]) {
      const answer = answerForSchema(schema, from);
      const ok = validate(answer);
      if (!ok) throw new Error(`${JSON.stringify(answer)}\n${ajv.errorsText(validate.errors)}`);
    }
  });

  it('draws list items from the text: decisions, owned action items, questions', () => {
    const answer = answerForSchema(MEETING_EXTRACT, material) as {
      decisions: string[];
      actionItems: { owner: string | null; task: string | null; due: string | null }[];
      openQuestions: string[];
    };
    expect(answer.decisions).toEqual([
      'We ship the default constitution as is.',
      'Launch date stays 1 December.',
    ]);
    expect(answer.actionItems).toEqual([
      { owner: 'Marco', task: expect.stringContaining('update it by Friday') as string, due: 'Friday' },
      { owner: 'Lee', task: expect.stringContaining('send invites') as string, due: 'Monday' },
    ]);
    expect(answer.openQuestions.length).toBeGreaterThanOrEqual(1);
    for (const question of answer.openQuestions) expect(question).toContain('?');
  });

  it('answers a text result with the summary and an enum with a member the text mentions', () => {
    expect(answerForSchema(DEFAULT_FINISH, material)).toEqual({ result: material.summary });
    const urgency = strictObject({ result: { type: 'string', enum: ['low', 'launch', 'high'] } });
    expect(answerForSchema(urgency, material)).toEqual({ result: 'launch' });
  });

  it('leaves nullable fields null when nothing supports them, and lists empty when nothing matches', () => {
    const answer = answerForSchema(MEETING_EXTRACT, empty) as Record<string, unknown>;
    expect(answer).toEqual({ decisions: [], actionItems: [], openQuestions: [] });
    const risks = answerForSchema(
      strictObject({ risks: { type: 'array', items: { type: 'string' } } }),
      material,
    );
    expect(risks).toEqual({ risks: [] });
  });
});

describe('offSchemaAnswer', () => {
  it.each(Object.entries(SCHEMAS))('answers %s off-schema in each of its three ways', (_name, schema) => {
    const validate = ajv.compile(schema);
    for (const attempt of [0, 1, 2, 3]) {
      const answer = offSchemaAnswer(schema, material, attempt);
      expect(answer).toEqual(expect.any(Object));
      if (validate(answer)) throw new Error(`attempt ${attempt} validated: ${JSON.stringify(answer)}`);
    }
  });

  it('puts a string where an array belongs, then drops a required field, then mistypes all', () => {
    const [first, second, third] = [0, 1, 2].map(
      (attempt) => offSchemaAnswer(MEETING_EXTRACT, material, attempt) as Record<string, unknown>,
    );
    expect(typeof first!.decisions).toBe('string');
    expect(second).not.toHaveProperty('decisions');
    expect(Object.values(third!).every((v) => typeof v === 'string')).toBe(true);
  });
});
