import { ApplicationFailure } from '@temporalio/common';
import { parseCapsuleWorkflowInput, type InputIssue } from '../../../../workflows/shared/input-schema';

function issuesOf(value: unknown): { failure: ApplicationFailure; issues: InputIssue[] } {
  try {
    parseCapsuleWorkflowInput(value);
  } catch (err) {
    if (err instanceof ApplicationFailure) return { failure: err, issues: err.details![0] as InputIssue[] };
    throw err;
  }
  throw new Error('expected the input to be rejected');
}

describe('parseCapsuleWorkflowInput', () => {
  it('accepts what an admin pastes into the Web UI', () => {
    const input = {
      capsule: 'product.launch@^1',
      params: { audience: 'CFOs', regions: ['EU', 'US'], deep: { n: 1, ok: true, none: null } },
      trigger: { kind: 'manual', by: 'alice@example.com' },
      tenant: 'acme',
    };
    expect(parseCapsuleWorkflowInput(JSON.parse(JSON.stringify(input)))).toEqual(input);
    expect(parseCapsuleWorkflowInput({ capsule: { id: 'inline', steps: [] } })).toEqual({
      capsule: { id: 'inline', steps: [] },
    });
    expect(
      parseCapsuleWorkflowInput({
        capsule: 'a@1.0.0',
        trigger: { kind: 'event', event: { type: 'order.created', data: { id: 7 } } },
        parent: { workflowId: 'root', stepId: 'qa', depth: 0 },
        limits: { tokens: null, usd: 2, depth: 9, maxChildren: 5, maxConcurrency: 3, tools: ['finish'] },
        taint: ['pii'],
      }).limits?.usd,
    ).toBe(2);
  });

  it('fails non-retryably with InvalidWorkflowInput naming each bad field and the fix', () => {
    const { failure, issues } = issuesOf({
      capsule: 'product.launch',
      trigger: { kind: 'cron' },
      tenant: '',
      params: { when: undefined, fn: 'ok' },
      surprise: 1,
    });
    expect(failure.type).toBe('InvalidWorkflowInput');
    expect(failure.nonRetryable).toBe(true);
    const byPath = Object.fromEntries(issues.map((i) => [i.path, i.message]));
    expect(byPath.capsule).toMatch(/expected "id@range", e.g. "product.launch@\^1"/);
    expect(byPath['trigger.kind']).toBe('expected one of manual, schedule, event, api');
    expect(byPath.tenant).toBe('expected a tenant id, or leave "tenant" out');
    expect(Object.keys(byPath)).toContain('(input)');
    expect(failure.message).toMatch(/^Invalid capsuleWorkflow input: /);
    expect(failure.message).toContain('trigger.kind: expected one of manual, schedule, event, api');
  });

  it('accepts semver ranges with spaces and rejects ids capsules cannot have', () => {
    expect(parseCapsuleWorkflowInput({ capsule: 'analytics.weekly-report@>=1.2.0 <2' }).capsule).toBe(
      'analytics.weekly-report@>=1.2.0 <2',
    );
    for (const bad of ['Product.Launch@1', 'product.launch@', '@1', '1abc@1', 'product launch@1']) {
      expect(issuesOf({ capsule: bad }).issues.map((i) => i.path)).toEqual(['capsule']);
    }
  });

  it('rejects a missing capsule and non-object inputs', () => {
    expect(issuesOf({}).issues.map((i) => i.path)).toEqual(['capsule']);
    expect(issuesOf('product.launch@1').issues.map((i) => i.path)).toEqual(['(input)']);
    expect(issuesOf({ capsule: 'a@1', limits: { tokens: -1 } }).issues.map((i) => i.path)).toEqual(
      expect.arrayContaining(['limits.tokens', 'limits.depth']),
    );
  });
});
