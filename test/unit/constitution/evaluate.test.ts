import {
  buildActionDescriptor,
  compileConstitution,
  DEFAULT_CONSTITUTION,
  evaluate,
  validateConstitution,
  type ActionDescriptor,
} from '../../../constitution';
import { descriptor, simpleConstitution } from '../../fixtures/constitution/descriptors';

const simple = validateConstitution(simpleConstitution());

describe('scoring', () => {
  it('matches hand-computed S = Σ w·φ with per-feature contributions', () => {
    // medium risk (0.6), write (0.5), trust 0.7: S = 0.5·0.6 + 0.3·0.5 + 0.2·0.7 = 0.59
    const x = descriptor({
      tool: { id: 'workspace.write', risk: 'medium', category: 'filesystem' },
      args: { digest: '', pii: [], piiCount: 0, hosts: [], write: true },
      persona: { id: 'p', trust: 0.7 },
    });
    const result = evaluate(simple, x);
    expect(result.score).toBe(0.59);
    expect(result.contributions).toEqual([
      { feature: 'risk', phi: 0.6, weight: 0.5, product: 0.3 },
      { feature: 'writes', phi: 0.5, weight: 0.3, product: 0.15 },
      { feature: 'trust', phi: 0.7, weight: 0.2, product: expect.closeTo(0.14, 12) },
    ]);
    expect(result.threshold).toBe(0.8);
    expect(result.reviewThreshold).toBe(0.6);
    expect(result.constitutionHash).toBe(simple.hash);
    expect(result.constitutionVersion).toBe(1);
  });

  it('is deterministic', () => {
    const x = descriptor({ persona: { id: 'p', trust: 0.3 } });
    expect(evaluate(simple, x)).toEqual(evaluate(simple, x));
  });
});

describe('decision bands', () => {
  // S = 0.5 + 0.3 + 0.2·trust
  const withTrust = (trust: number) => descriptor({ persona: { id: 'p', trust } });

  it('allows at or above θ', () => {
    expect(evaluate(simple, withTrust(0)).score).toBe(0.8);
    expect(evaluate(simple, withTrust(0)).decision).toBe('allow');
  });

  it('asks for review in [θ_review, θ)', () => {
    // S = 0.5·0.2 + 0.3·1 + 0.2·1 = 0.6 exactly: the review band's lower edge
    const x = descriptor({ tool: { id: 'workspace.read', risk: 'high', category: 'filesystem' } });
    expect(evaluate(simple, x)).toMatchObject({ score: 0.6, decision: 'review' });
    const y = descriptor({
      tool: { id: 'workspace.read', risk: 'medium', category: 'filesystem' },
      persona: { id: 'p', trust: 0.5 },
    });
    expect(evaluate(simple, y)).toMatchObject({ score: 0.7, decision: 'review' });
  });

  it('denies below θ_review', () => {
    const x = descriptor({ tool: { id: 'workspace.read', risk: 'critical', category: 'filesystem' } });
    expect(evaluate(simple, x)).toMatchObject({ score: 0.5, decision: 'deny' });
  });

  it('has no review band when reviewThreshold is omitted', () => {
    const noBand = validateConstitution(simpleConstitution({ reviewThreshold: undefined }));
    const x = descriptor({ tool: { id: 'workspace.read', risk: 'medium', category: 'filesystem' } });
    expect(evaluate(noBand, x)).toMatchObject({ score: 0.8, decision: 'allow' });
    const y = descriptor({ tool: { id: 'workspace.read', risk: 'high', category: 'filesystem' } });
    expect(evaluate(noBand, y)).toMatchObject({ score: 0.6, decision: 'deny', reviewThreshold: 0.8 });
  });
});

describe('hard rules', () => {
  it('deny outright whatever the score', () => {
    const x = descriptor({ tool: { id: 'db.prod', risk: 'low', category: 'database' } });
    const result = evaluate(simple, x);
    expect(result.score).toBe(1);
    expect(result.decision).toBe('deny');
    expect(result.rulesFired).toEqual([
      {
        id: 'no-prod-db',
        effect: 'deny',
        source: 'constitution',
        description: 'Production database is off limits.',
      },
    ]);
  });

  it('review rules raise allow to review but never lower deny', () => {
    expect(evaluate(simple, descriptor({ budget: { spentUsd: 150, limitUsd: null } }))).toMatchObject({
      decision: 'review',
      rulesFired: [expect.objectContaining({ id: 'big-spend-review' })],
    });
    const both = descriptor({
      tool: { id: 'db.prod', risk: 'low', category: 'db' },
      budget: { spentUsd: 150, limitUsd: null },
    });
    expect(evaluate(simple, both).decision).toBe('deny');
  });

  it('fail closed when an expression errors at run time', () => {
    const c = compileConstitution(
      simpleConstitution({
        rules: [{ id: 'careless', description: 'derefs null tool', when: 'tool.id == "x"', effect: 'deny' }],
      }),
    );
    const result = evaluate(c, descriptor({ tool: null }));
    expect(result.decision).toBe('deny');
    expect(result.rulesFired[0]).toMatchObject({ id: 'careless', error: expect.any(String) });
  });
});

describe('guardrails tighten', () => {
  const guarded = (
    guardrails: NonNullable<ActionDescriptor['capsule']>['guardrails'],
    overrides: Partial<ActionDescriptor> = {},
  ) => descriptor({ capsule: { id: 'c', toolSuite: ['workspace.read'], guardrails }, ...overrides });

  it("θ' = max(θ, minThreshold)", () => {
    const x = guarded({ minThreshold: 0.95 }, { persona: { id: 'p', trust: 0.5 } }); // S = 0.9
    expect(evaluate(simple, x)).toMatchObject({ score: 0.9, threshold: 0.95, decision: 'review' });
    const lower = guarded({ minThreshold: 0.1 }, { persona: { id: 'p', trust: 0.5 } });
    expect(evaluate(simple, lower)).toMatchObject({ threshold: 0.8, decision: 'allow' });
  });

  it('deniedTools deny and requireApprovalFor forces review', () => {
    expect(evaluate(simple, guarded({ deniedTools: ['workspace.read'] }))).toMatchObject({
      decision: 'deny',
      rulesFired: [expect.objectContaining({ id: 'guardrail.denied-tools', source: 'guardrail' })],
    });
    expect(evaluate(simple, guarded({ requireApprovalFor: ['workspace.read'] }))).toMatchObject({
      decision: 'review',
      rulesFired: [expect.objectContaining({ id: 'guardrail.require-approval' })],
    });
  });
});

describe('tenant overlays tighten', () => {
  const withOverlay = validateConstitution(
    simpleConstitution({
      overlays: {
        strict: {
          threshold: 0.9,
          deniedTools: ['http.request'],
          requireApprovalFor: ['workspace.write'],
          rules: [
            { id: 'strict-no-night', description: 'no training', when: 'trainingMode', effect: 'deny' },
          ],
        },
      },
    }),
  );

  it('raise θ only for that tenant', () => {
    const x = descriptor({ persona: { id: 'p', trust: 0.5 } }); // S = 0.9
    expect(evaluate(withOverlay, { ...x, persona: { id: 'p', trust: 0.4 } })).toMatchObject({
      score: 0.88,
      decision: 'allow',
    });
    expect(evaluate(withOverlay, { ...x, tenant: 'strict', persona: { id: 'p', trust: 0.4 } })).toMatchObject(
      {
        score: 0.88,
        threshold: 0.9,
        decision: 'review',
      },
    );
  });

  it('add rules, denied tools and approvals for that tenant', () => {
    const base = { tenant: 'strict' };
    expect(
      evaluate(withOverlay, descriptor({ ...base, trainingMode: true })).rulesFired.map((r) => r.id),
    ).toEqual(['strict-no-night']);
    expect(
      evaluate(
        withOverlay,
        descriptor({ ...base, tool: { id: 'http.request', risk: 'low', category: 'network' } }),
      ).decision,
    ).toBe('deny');
    expect(
      evaluate(
        withOverlay,
        descriptor({ ...base, tool: { id: 'workspace.write', risk: 'low', category: 'filesystem' } }),
      ).decision,
    ).toBe('review');
    expect(evaluate(withOverlay, descriptor({ trainingMode: true })).decision).toBe('allow');
  });
});

describe('default constitution', () => {
  const c = validateConstitution(DEFAULT_CONSTITUTION);
  const build = (over: Partial<Parameters<typeof buildActionDescriptor>[0]>) =>
    buildActionDescriptor({
      activityType: 'runTool',
      tenant: 't',
      tool: { id: 'workspace.read', risk: 'low', category: 'filesystem' },
      args: { path: 'README.md' },
      persona: { id: 'dev', trust: 0.8 },
      capsule: {
        id: 'cap',
        toolSuite: ['workspace.read', 'workspace.write', 'http.request'],
        guardrails: {},
      },
      ...over,
    });

  it('allows ordinary reads and model calls', () => {
    expect(evaluate(c, build({})).decision).toBe('allow');
    expect(evaluate(c, build({ activityType: 'callSlm', tool: null, args: { prompt: 'hi' } })).decision).toBe(
      'allow',
    );
  });

  it('denies critical tools outside training but not inside it', () => {
    const crit = { tool: { id: 'shell.exec', risk: 'critical' as const, category: 'exec' } };
    expect(evaluate(c, build(crit)).rulesFired.map((r) => r.id)).toContain('no-critical-tools-unsupervised');
    expect(evaluate(c, build({ ...crit, trainingMode: true })).rulesFired.map((r) => r.id)).not.toContain(
      'no-critical-tools-unsupervised',
    );
  });

  it('denies egress from a run that read secrets', () => {
    const x = build({
      tool: { id: 'http.request', risk: 'high', category: 'network' },
      args: { url: 'https://x.example.com' },
      taint: ['secret'],
    });
    expect(evaluate(c, x)).toMatchObject({
      decision: 'deny',
      rulesFired: [expect.objectContaining({ id: 'no-sensitive-exfiltration' })],
    });
  });

  it('denies sending card numbers out', () => {
    const x = build({
      tool: { id: 'http.request', risk: 'high', category: 'network' },
      args: { url: 'https://x.example.com', body: 'card 4111 1111 1111 1111' },
    });
    expect(evaluate(c, x).rulesFired.map((r) => r.id)).toContain('no-card-numbers-out');
  });

  it('denies paid work once the budget is spent', () => {
    const x = build({ activityType: 'callSlm', tool: null, budget: { spentUsd: 10, limitUsd: 10 } });
    expect(evaluate(c, x)).toMatchObject({
      decision: 'deny',
      rulesFired: [expect.objectContaining({ id: 'budget-exhausted' })],
    });
    expect(evaluate(c, build({ budget: { spentUsd: 1, limitUsd: 10 } })).rulesFired).toEqual([]);
  });

  it('sends writes of low-trust personas to review', () => {
    const x = build({
      tool: { id: 'workspace.write', risk: 'low', category: 'filesystem' },
      persona: { id: 'intern', trust: 0.4 },
    });
    expect(evaluate(c, x).rulesFired.map((r) => r.id)).toEqual(['untrusted-writes-need-approval']);
    expect(evaluate(c, x).decision).not.toBe('allow');
  });
});
