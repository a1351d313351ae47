import {
  FEATURE_CATALOG,
  FEATURE_KINDS,
  featureDefinition,
  type FeatureContext,
} from '../../../constitution';
import { descriptor } from '../../fixtures/constitution/descriptors';

const NO_CTX: FeatureContext = { hostAllowlists: [] };

/** φ of catalog feature `kind` with `params` for descriptor `x`. */
function phi(kind: string, params: Record<string, unknown>, x = descriptor(), ctx = NO_CTX): number {
  const def = featureDefinition(kind)!;
  return def.create(def.params.parse(params))(x, ctx);
}

describe('feature catalog', () => {
  it('holds every required feature', () => {
    expect(FEATURE_KINDS.sort()).toEqual(
      [
        'budgetHeadroom',
        'capsuleScope',
        'dataFlowRisk',
        'dataSensitivity',
        'denialRate',
        'egress',
        'personaTrust',
        'toolRisk',
        'trainingMode',
        'writeSideEffects',
      ].sort(),
    );
    expect(featureDefinition('toString')).toBeUndefined();
  });

  it('keeps every φ in [0, 1] for the catalog defaults across varied descriptors', () => {
    const xs = [
      descriptor(),
      descriptor({ tool: null, persona: null, capsule: null }),
      descriptor({
        tool: { id: 'x', risk: 'critical', category: 'network' },
        args: { digest: '', pii: ['ssn'], piiCount: 3, hosts: ['evil.test'], write: true },
        budget: { spentUsd: 50, limitUsd: 10 },
        denials: { recent: 9, window: 10 },
        taint: ['secret'],
      }),
    ];
    for (const kind of FEATURE_KINDS) {
      for (const x of xs) {
        const value = phi(kind, {}, x);
        expect(value).toBeGreaterThanOrEqual(0);
        expect(value).toBeLessThanOrEqual(1);
      }
      const def = FEATURE_CATALOG[kind]!;
      expect(def.maxPhi(def.params.parse({}))).toBeLessThanOrEqual(1);
    }
  });
});

describe('toolRisk', () => {
  it('maps declared risk through the score table', () => {
    const scores = { low: 1, medium: 0.6, high: 0.2, critical: 0 };
    expect(phi('toolRisk', { scores })).toBe(1);
    expect(phi('toolRisk', { scores }, descriptor({ tool: { id: 'x', risk: 'high', category: 'c' } }))).toBe(
      0.2,
    );
    expect(
      phi('toolRisk', { scores }, descriptor({ tool: { id: 'x', risk: 'critical', category: 'c' } })),
    ).toBe(0);
    expect(phi('toolRisk', { noTool: 0.9 }, descriptor({ tool: null }))).toBe(0.9);
  });
});

describe('dataSensitivity', () => {
  it('is 1 − the worst penalty among PII kinds found', () => {
    expect(phi('dataSensitivity', {})).toBe(1);
    const withEmail = descriptor({
      args: { digest: '', pii: ['email'], piiCount: 1, hosts: [], write: false },
    });
    expect(phi('dataSensitivity', {}, withEmail)).toBeCloseTo(0.6);
    const withCard = descriptor({
      args: { digest: '', pii: ['creditCard', 'email'], piiCount: 2, hosts: [], write: false },
    });
    expect(phi('dataSensitivity', {}, withCard)).toBe(0);
  });
});

describe('egress', () => {
  const to = (...hosts: string[]) =>
    descriptor({ args: { digest: '', pii: [], piiCount: 0, hosts, write: false } });

  it('scores 1 without hosts or when every host is allowlisted, `outside` otherwise', () => {
    expect(phi('egress', { allowlist: [] })).toBe(1);
    expect(phi('egress', { allowlist: ['*.example.com'] }, to('api.example.com'))).toBe(1);
    expect(phi('egress', { allowlist: ['*.example.com'] }, to('api.example.com', 'evil.test'))).toBe(0);
    expect(phi('egress', { allowlist: [], outside: 0.25 }, to('evil.test'))).toBe(0.25);
  });

  it('is narrowed by capsule guardrails.allowedHosts and overlay allowlists', () => {
    const x = {
      ...to('api.example.com'),
      capsule: { id: 'c', toolSuite: [], guardrails: { allowedHosts: ['other.example.com'] } },
    };
    expect(phi('egress', { allowlist: ['*.example.com'] }, x)).toBe(0);
    expect(
      phi('egress', { allowlist: ['*.example.com'] }, to('api.example.com'), {
        hostAllowlists: [['docs.example.com']],
      }),
    ).toBe(0);
  });
});

describe('writeSideEffects', () => {
  it('separates reads from writes', () => {
    expect(phi('writeSideEffects', { write: 0.3 })).toBe(1);
    expect(
      phi(
        'writeSideEffects',
        { write: 0.3 },
        descriptor({ args: { digest: '', pii: [], piiCount: 0, hosts: [], write: true } }),
      ),
    ).toBe(0.3);
  });
});

describe('budgetHeadroom', () => {
  it('is the remaining budget fraction, using the tighter of budget and guardrail', () => {
    expect(phi('budgetHeadroom', {})).toBe(1);
    expect(phi('budgetHeadroom', {}, descriptor({ budget: { spentUsd: 2.5, limitUsd: 10 } }))).toBeCloseTo(
      0.75,
    );
    expect(phi('budgetHeadroom', {}, descriptor({ budget: { spentUsd: 12, limitUsd: 10 } }))).toBe(0);
    const guarded = descriptor({
      budget: { spentUsd: 2.5, limitUsd: 10 },
      capsule: { id: 'c', toolSuite: [], guardrails: { maxSpendUsd: 5 } },
    });
    expect(phi('budgetHeadroom', {}, guarded)).toBeCloseTo(0.5);
    expect(
      phi('budgetHeadroom', { noLimit: 0.9 }, descriptor({ budget: { spentUsd: 3, limitUsd: null } })),
    ).toBe(0.9);
  });
});

describe('personaTrust', () => {
  it('is the persona trust level', () => {
    expect(phi('personaTrust', {}, descriptor({ persona: { id: 'p', trust: 0.35 } }))).toBe(0.35);
    expect(phi('personaTrust', { noPersona: 0.5 }, descriptor({ persona: null }))).toBe(0.5);
  });
});

describe('capsuleScope', () => {
  it("checks the tool against the capsule's tool suite", () => {
    expect(phi('capsuleScope', {})).toBe(1);
    expect(
      phi('capsuleScope', {}, descriptor({ tool: { id: 'shell.exec', risk: 'high', category: 'exec' } })),
    ).toBe(0);
    expect(phi('capsuleScope', { noCapsule: 0.4 }, descriptor({ capsule: null }))).toBe(0.4);
    expect(phi('capsuleScope', {}, descriptor({ tool: null }))).toBe(1);
  });
});

describe('denialRate', () => {
  it('is 1 − recent denial rate once the window is large enough', () => {
    expect(phi('denialRate', {}, descriptor({ denials: { recent: 2, window: 2 } }))).toBe(1);
    expect(phi('denialRate', {}, descriptor({ denials: { recent: 3, window: 10 } }))).toBeCloseTo(0.7);
    expect(phi('denialRate', { minWindow: 1 }, descriptor({ denials: { recent: 1, window: 1 } }))).toBe(0);
  });
});

describe('trainingMode', () => {
  it('scores supervised training above unsupervised production', () => {
    expect(phi('trainingMode', {})).toBe(0.8);
    expect(phi('trainingMode', {}, descriptor({ trainingMode: true }))).toBe(1);
    expect(phi('trainingMode', { production: 0.5 })).toBe(0.5);
  });
});

describe('dataFlowRisk', () => {
  const out = { digest: '', pii: [] as never[], piiCount: 0, hosts: ['a.example.com'], write: false };

  it('is clean (1) without sensitive taint, even with egress', () => {
    expect(phi('dataFlowRisk', {}, descriptor({ args: out, taint: ['public'] }))).toBe(1);
  });

  it('drops when a tainted run sends data out (by host or by outbound tool category)', () => {
    expect(phi('dataFlowRisk', {}, descriptor({ args: out, taint: ['secret'] }))).toBe(0);
    const email = descriptor({
      tool: { id: 'mail.send', risk: 'medium', category: 'email' },
      taint: ['financial'],
    });
    expect(phi('dataFlowRisk', {}, email)).toBe(0);
  });

  it('is `taintedLocal` for tainted runs that keep data inside', () => {
    expect(phi('dataFlowRisk', {}, descriptor({ taint: ['pii'] }))).toBe(0.8);
  });

  it("counts PII in this action's own arguments as pii taint", () => {
    const leak = descriptor({ args: { ...out, pii: ['email'], piiCount: 1 } });
    expect(phi('dataFlowRisk', {}, leak)).toBe(0);
    expect(phi('dataFlowRisk', { includeCurrentPii: false }, leak)).toBe(1);
  });
});
