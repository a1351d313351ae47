import { defaultPayloadConverter } from '@temporalio/common';
import {
  buildActionDescriptor,
  canonicalHash,
  evaluate,
  validateConstitution,
} from '../../../../constitution';
import { GATE_CONTEXT_HEADER } from '../../../../workflows/shared/constants';
import {
  describeActivity,
  explainEvaluation,
  explainFailClosed,
  type DescribeActivityOptions,
} from '../../../../workers/gate';
import { simpleConstitution } from '../../../fixtures/constitution/descriptors';
import { activityInfo, gateContext, headersWith, toolCatalog } from '../../../fixtures/workers/gate';

const options: DescribeActivityOptions = { toolCatalog };

describe('describeActivity', () => {
  it('builds x(a) of a tool call from the header, the activity and the registry metadata', () => {
    const info = activityInfo();
    const context = gateContext(info, {
      guardrails: { minThreshold: 0.8, allowedHosts: ['*.example.com'] },
      taint: ['pii'],
      denials: { recent: 1, window: 4 },
      trainingMode: true,
    });
    const toolArgs = { url: 'https://api.example.com/v1/items', method: 'POST', body: 'mail bob@corp.io' };
    const described = describeActivity(
      info,
      {
        args: [{ toolId: 'http.request', arguments: toolArgs, context: { tenant: 'acme' } }],
        headers: headersWith(context),
      },
      options,
    );
    expect(described.ok).toBe(true);
    if (!described.ok) return;
    expect(described.toolId).toBe('http.request');
    expect(described.descriptor).toEqual({
      activityType: 'executeTool',
      tool: { id: 'http.request', risk: 'high', category: 'network' },
      args: {
        digest: canonicalHash(toolArgs),
        pii: ['email'],
        piiCount: 1,
        hosts: ['api.example.com'],
        write: true,
      },
      persona: { id: 'analyst', trust: 0.9 },
      capsule: {
        id: 'cap-report',
        toolSuite: ['workspace.read', 'workspace.write', 'http.request', 'memory.recall'],
        guardrails: { minThreshold: 0.8, allowedHosts: ['*.example.com'] },
      },
      tenant: 'acme',
      budget: { spentUsd: 0.5, limitUsd: 10 },
      trainingMode: true,
      taint: ['pii'],
      denials: { recent: 1, window: 4 },
    });
  });

  it('scans a model call for PII but does not take URLs quoted in the prompt for hosts it contacts', () => {
    const info = activityInfo({ activityType: 'slmComplete' });
    const prompt = {
      model: 'openai/gpt-4o-mini',
      messages: [{ role: 'user', content: 'Search https://api.github.com/search/issues for bob@corp.io' }],
    };
    const described = describeActivity(
      info,
      { args: [prompt], headers: headersWith(gateContext(info)) },
      options,
    );
    expect(described.ok && described.descriptor.args).toMatchObject({ pii: ['email'], hosts: [] });
    // The same text as a tool argument does name a host.
    const toolInfo = activityInfo();
    const tool = describeActivity(
      toolInfo,
      {
        args: [{ toolId: 'http.request', arguments: { url: 'https://api.github.com/search/issues' } }],
        headers: headersWith(gateContext(toolInfo)),
      },
      options,
    );
    expect(tool.ok && tool.descriptor.args.hosts).toEqual(['api.github.com']);
  });

  it('uses the per-call write flag of the registry (GET reads, POST writes)', () => {
    const info = activityInfo();
    const headers = headersWith(gateContext(info));
    const describe = (method: string) => {
      const d = describeActivity(
        info,
        { args: [{ toolId: 'http.request', arguments: { url: 'https://a.example.com', method } }], headers },
        options,
      );
      return d.ok ? d.descriptor.args.write : undefined;
    };
    expect(describe('GET')).toBe(false);
    expect(describe('POST')).toBe(true);
  });

  it('judges the memory activities as the built-in memory tools', () => {
    const info = activityInfo({ activityType: 'memoryRemember' });
    const d = describeActivity(
      info,
      { args: [{ scope: { tenant: 'acme' }, content: 'note' }], headers: headersWith(gateContext(info)) },
      options,
    );
    expect(d.ok && d.descriptor.tool).toEqual({ id: 'memory.remember', risk: 'low', category: 'memory' });
    expect(d.ok && d.descriptor.args.write).toBe(true);
  });

  it('gives non-tool activities (model calls, capsule loading) a tool-less descriptor of the whole input', () => {
    const info = activityInfo({ activityType: 'slmComplete' });
    const input = { tenant: 'acme', messages: [{ role: 'user', content: 'summarise' }] };
    const d = describeActivity(info, { args: [input], headers: headersWith(gateContext(info)) }, options);
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.descriptor.tool).toBeNull();
    expect(d.descriptor.args).toMatchObject({ digest: canonicalHash(input), write: false, hosts: [] });
  });

  it("takes the persona's trust from the header, so the weighted score can deny a low-trust persona", () => {
    // S = 0.5·toolRisk + 0.3·writes + 0.2·trust; a read of a low-risk tool scores 0.8 + 0.2·trust.
    const compiled = validateConstitution(simpleConstitution({ threshold: 0.9, reviewThreshold: 0.85 }));
    const judge = (trustLevel: number) => {
      const info = activityInfo();
      const context = gateContext(info, { persona: { id: 'analyst', trustLevel } });
      const d = describeActivity(
        info,
        {
          args: [{ toolId: 'workspace.read', arguments: { path: 'notes.md' }, context: { tenant: 'acme' } }],
          headers: headersWith(context),
        },
        options,
      );
      if (!d.ok) throw new Error(d.failure.message);
      expect(d.descriptor.persona).toEqual({ id: 'analyst', trust: trustLevel });
      return evaluate(compiled, d.descriptor);
    };
    expect(judge(0.9)).toMatchObject({ decision: 'allow', score: 0.98 });
    expect(judge(0.2)).toMatchObject({ decision: 'deny', score: 0.84 });
  });

  it('fails closed without a header, naming the activity and the fix', () => {
    const d = describeActivity(
      activityInfo({ activityType: 'slmComplete' }),
      { args: [{}], headers: {} },
      options,
    );
    expect(d.ok).toBe(false);
    if (d.ok) return;
    expect(d.failure.reason).toBe('missing-context');
    expect(d.failure.message).toMatch(/slmComplete carries no gate context header/);
    expect(d.failure.message).toMatch(/infrastructure activity/);
  });

  it('evaluates an allowlisted infrastructure activity without a header as a platform action', () => {
    const d = describeActivity(
      activityInfo({ activityType: 'publishHeartbeat' }),
      { args: [{ at: 1 }], headers: {} },
      { ...options, infrastructureActivities: new Set(['publishHeartbeat']), platformTenant: 'ops' },
    );
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.context).toBeNull();
    expect(d.descriptor).toMatchObject({ tenant: 'ops', persona: null, capsule: null, tool: null });
  });

  it('fails closed on an allowlisted activity type whose header is present but invalid', () => {
    const info = activityInfo({ activityType: 'publishHeartbeat' });
    const broken = { ...gateContext(info), tenant: '' };
    const d = describeActivity(
      info,
      { args: [{}], headers: { [GATE_CONTEXT_HEADER]: defaultPayloadConverter.toPayload(broken) } },
      { ...options, infrastructureActivities: new Set(['publishHeartbeat']) },
    );
    expect(!d.ok && d.failure.reason).toBe('invalid-context');
  });

  it('fails closed on a malformed header, naming each bad field', () => {
    const info = activityInfo();
    const context = gateContext(info);
    const broken = {
      ...context,
      persona: { id: 'p', trustLevel: 7 },
      budget: { ...context.budget, spentUsd: -1 },
    };
    const d = describeActivity(
      info,
      {
        args: [{ toolId: 'workspace.read', arguments: { path: 'a' } }],
        headers: { [GATE_CONTEXT_HEADER]: defaultPayloadConverter.toPayload(broken) },
      },
      options,
    );
    expect(d.ok).toBe(false);
    if (d.ok) return;
    expect(d.failure.reason).toBe('invalid-context');
    expect(d.failure.issues?.map((i) => i.path).sort()).toEqual(['budget.spentUsd', 'persona.trustLevel']);
    expect(d.failure.message).toMatch(/persona\.trustLevel/);
  });

  it('fails closed on a header that is not JSON', () => {
    const info = activityInfo();
    const d = describeActivity(
      info,
      {
        args: [{}],
        headers: {
          [GATE_CONTEXT_HEADER]: {
            metadata: { encoding: Buffer.from('json/plain') },
            data: Buffer.from('{nope'),
          },
        },
      },
      options,
    );
    expect(!d.ok && d.failure.reason).toBe('invalid-context');
  });

  it('fails closed on a header taken from another run', () => {
    const info = activityInfo();
    const other = gateContext(activityInfo());
    const d = describeActivity(
      info,
      { args: [{ toolId: 'workspace.read', arguments: {} }], headers: headersWith(other) },
      options,
    );
    expect(!d.ok && d.failure.reason).toBe('context-mismatch');
  });

  it('fails closed on a tool call without a tool id and on unknown tools', () => {
    const info = activityInfo();
    const headers = headersWith(gateContext(info));
    const noId = describeActivity(info, { args: [{ arguments: {} }], headers }, options);
    expect(!noId.ok && noId.failure.reason).toBe('invalid-tool-call');
    const unknown = describeActivity(
      info,
      { args: [{ toolId: 'shell.exec', arguments: {} }], headers },
      options,
    );
    expect(!unknown.ok && unknown.failure).toMatchObject({
      reason: 'unknown-tool',
      message: 'tool shell.exec is not in the tool registry',
    });
  });
});

describe('explanations', () => {
  const compiled = validateConstitution(simpleConstitution());
  const secret = 'sk-live-0123456789abcdef';
  const args = { path: 'notes.txt', content: `token=${secret} card 4111 1111 1111 1111 mail eve@corp.io` };

  it('carry the score, thresholds, contributions, rules and version but no argument values', () => {
    const x = buildActionDescriptor({
      activityType: 'executeTool',
      tenant: 'acme',
      tool: { id: 'db.prod', risk: 'high', category: 'database', writes: true },
      args,
      persona: { id: 'p', trust: 1 },
    });
    const evaluation = evaluate(compiled, x);
    const explanation = explainEvaluation(evaluation, x, 'deny');
    expect(explanation).toMatchObject({
      decision: 'deny',
      outcome: 'deny',
      score: evaluation.score,
      threshold: 0.8,
      reviewThreshold: 0.6,
      constitutionHash: compiled.hash,
      constitutionVersion: 1,
      toolId: 'db.prod',
      argsDigest: canonicalHash(args),
    });
    expect(explanation.contributions.map((c) => c.feature)).toEqual(['risk', 'writes', 'trust']);
    expect(explanation.rulesFired.map((r) => r.id)).toEqual(['no-prod-db']);
    expect(explanation.reason).toMatch(/deny rule no-prod-db/);
    const text = JSON.stringify(explanation);
    for (const raw of [secret, 'eve@corp.io', '4111', 'notes.txt']) expect(text).not.toContain(raw);
  });

  it('explain a fail-closed denial with the gate as the rule source', () => {
    const explanation = explainFailClosed(
      { reason: 'missing-context', message: 'activity x carries no gate context header' },
      { activityType: 'x', toolId: null, argsDigest: canonicalHash(args), constitution: null },
    );
    expect(explanation).toMatchObject({
      decision: 'deny',
      outcome: 'fail-closed',
      score: null,
      rulesFired: [{ id: 'gate.missing-context', effect: 'deny', source: 'gate' }],
      failClosed: { reason: 'missing-context' },
    });
    expect(JSON.stringify(explanation)).not.toContain(secret);
  });
});
