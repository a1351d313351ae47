import { ApplicationFailure } from '@temporalio/common';
import { parsePersonaWorkflowInput } from '../../../workflows/persona-input';
import { personaInput } from '../../fixtures/runtime/persona-input';

function failureOf(value: unknown): ApplicationFailure {
  try {
    parsePersonaWorkflowInput(value);
  } catch (err) {
    if (err instanceof ApplicationFailure) return err;
    throw err;
  }
  throw new Error('expected the input to be rejected');
}

describe('parsePersonaWorkflowInput', () => {
  it('accepts a well-formed input and returns it unchanged', () => {
    const input = personaInput('wf-1', { contextTokens: 4000 });
    expect(parsePersonaWorkflowInput(input)).toBe(input);
  });

  it('names every bad field with its path and a fix', () => {
    const base = personaInput('wf-2');
    const failure = failureOf({
      ...base,
      persona: { ...base.persona, model: 'gpt-4o-mini', trustLevel: 2 },
      limits: { ...base.limits, maxConcurrency: 0 },
      instruction: '',
      extra: true,
    });
    expect(failure).toMatchObject({ type: 'InvalidWorkflowInput', nonRetryable: true });
    for (const path of ['persona.model', 'persona.trustLevel', 'limits.maxConcurrency', 'instruction']) {
      expect(failure.message).toContain(path);
    }
    expect(failure.message).toContain('provider/model');
    expect(failure.message).toContain('extra');
  });
});
