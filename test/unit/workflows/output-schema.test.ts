import type { OutputSchema } from '../../../capsules/capsule-schema';
import {
  compileOutputValidator,
  finishOutput,
  formatIssues,
  jsonFromText,
  toStrictJsonSchema,
  typedFinishTool,
} from '../../../workflows/output-schema';

/** The `extract` step of meetings.transcript-summary. */
const meetingOutput: OutputSchema = {
  type: 'object',
  required: ['decisions', 'actionItems', 'openQuestions'],
  properties: {
    decisions: { type: 'array', items: { type: 'string' } },
    actionItems: {
      type: 'array',
      items: {
        type: 'object',
        required: ['owner', 'task'],
        properties: { owner: { type: 'string' }, task: { type: 'string' }, due: { type: 'string' } },
      },
    },
    openQuestions: { type: 'array', items: { type: 'string' } },
  },
};

describe('toStrictJsonSchema / typedFinishTool', () => {
  it('lists every property as required, makes optional ones nullable and forbids extra keys', () => {
    expect(toStrictJsonSchema(meetingOutput)).toEqual({
      type: 'object',
      additionalProperties: false,
      required: ['decisions', 'actionItems', 'openQuestions'],
      properties: {
        decisions: { type: 'array', items: { type: 'string' } },
        actionItems: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['owner', 'task', 'due'],
            properties: {
              owner: { type: 'string' },
              task: { type: 'string' },
              due: { type: ['string', 'null'] },
            },
          },
        },
        openQuestions: { type: 'array', items: { type: 'string' } },
      },
    });
  });

  it('keeps enums (with null when optional) and descriptions', () => {
    const schema: OutputSchema = {
      type: 'object',
      properties: { level: { type: 'string', enum: ['low', 'high'], description: 'severity' } },
    };
    expect(toStrictJsonSchema(schema).properties).toEqual({
      level: { type: ['string', 'null'], enum: ['low', 'high', null], description: 'severity' },
    });
  });

  it('uses an object schema as the finish parameters and wraps any other type in "result"', () => {
    const objectTool = typedFinishTool('finish', meetingOutput);
    expect(objectTool).toMatchObject({ name: 'finish', strict: true });
    expect(objectTool.parameters).toEqual(toStrictJsonSchema(meetingOutput));
    const listTool = typedFinishTool('finish', { type: 'array', items: { type: 'integer' } });
    expect(listTool.parameters).toEqual({
      type: 'object',
      properties: { result: { type: 'array', items: { type: 'integer' } } },
      required: ['result'],
      additionalProperties: false,
    });
    expect(finishOutput({ type: 'array', items: { type: 'integer' } }, { result: [1, 2] })).toEqual([1, 2]);
    expect(finishOutput(meetingOutput, { decisions: [] })).toEqual({ decisions: [] });
  });
});

describe('compileOutputValidator', () => {
  const validate = compileOutputValidator(meetingOutput);

  it('accepts a matching answer, dropping nulls of optional fields and undeclared keys', () => {
    const check = validate({
      decisions: ['ship'],
      actionItems: [{ owner: 'Lee', task: 'webinar', due: null, extra: 1 }],
      openQuestions: [],
      note: 'x',
    });
    expect(check).toEqual({
      ok: true,
      value: { decisions: ['ship'], actionItems: [{ owner: 'Lee', task: 'webinar' }], openQuestions: [] },
    });
  });

  it('names every mismatch by its JSON path and what was expected', () => {
    const check = validate({ decisions: 'ship it', actionItems: [{ owner: 3 }], openQuestions: null });
    expect(check.ok).toBe(false);
    if (check.ok) return;
    expect(check.issues).toEqual([
      { path: '$.decisions', message: 'expected an array, got string "ship it"' },
      { path: '$.actionItems[0].owner', message: 'expected a string, got number 3' },
      { path: '$.actionItems[0].task', message: 'is required but missing' },
      { path: '$.openQuestions', message: 'is required but missing' },
    ]);
    expect(formatIssues(check.issues)).toContain('$.actionItems[0].owner: expected a string, got number 3');
  });

  it('checks integers, numbers, booleans and enums', () => {
    const v = compileOutputValidator({
      type: 'object',
      required: ['n', 'i', 'b', 'e'],
      properties: {
        n: { type: 'number' },
        i: { type: 'integer' },
        b: { type: 'boolean' },
        e: { type: 'string', enum: ['a', 'b'] },
      },
    });
    expect(v({ n: 1.5, i: 2, b: false, e: 'a' }).ok).toBe(true);
    const bad = v({ n: 'x', i: 2.5, b: 'yes', e: 'c' });
    expect(bad.ok ? [] : bad.issues.map((i) => i.path)).toEqual(['$.n', '$.i', '$.b', '$.e']);
    expect(compileOutputValidator({ type: 'object' })([]).ok).toBe(false);
  });

  it('caps the issues it quotes', () => {
    const v = compileOutputValidator({ type: 'array', items: { type: 'string' } });
    const check = v(Array.from({ length: 25 }, (_, i) => i));
    expect(check.ok).toBe(false);
    if (!check.ok) expect(formatIssues(check.issues)).toMatch(/; and 15 more$/);
  });
});

describe('jsonFromText', () => {
  it('reads a bare JSON document or a fenced block, nothing else', () => {
    expect(jsonFromText(' {"a": 1} ')).toEqual({ a: 1 });
    expect(jsonFromText('Here it is:\n```json\n[1, 2]\n```\nDone.')).toEqual([1, 2]);
    expect(jsonFromText('Here is the result: {"title": 3} as asked.')).toEqual({ title: 3 });
    expect(jsonFromText('I could not finish.')).toBeUndefined();
    expect(jsonFromText('{"a": ')).toBeUndefined();
  });
});
