import fc from 'fast-check';
import {
  DEFAULT_CONSTITUTION,
  evaluate,
  PII_KINDS,
  TOOL_RISKS,
  validateConstitution,
  type ActionDescriptor,
  type GateDecision,
  type Guardrails,
} from '../../../constitution';

const SEVERITY: Record<GateDecision, number> = { allow: 0, review: 1, deny: 2 };
const TOOLS = [
  'workspace.read',
  'workspace.write',
  'http.request',
  'memory.recall',
  'delegate',
  'shell.exec',
];
const HOSTS = ['api.example.com', 'evil.test', 'docs.example.com', 'internal.corp'];

const descriptorArb: fc.Arbitrary<ActionDescriptor> = fc.record({
  activityType: fc.constantFrom('runTool', 'callSlm', 'finish'),
  tool: fc.option(
    fc.record({
      id: fc.constantFrom(...TOOLS),
      risk: fc.constantFrom(...TOOL_RISKS),
      category: fc.constantFrom('filesystem', 'network', 'exec'),
    }),
    { nil: null },
  ),
  args: fc.record({
    digest: fc.constant('sha256:x'),
    pii: fc.uniqueArray(fc.constantFrom(...PII_KINDS)),
    piiCount: fc.nat(5),
    hosts: fc.uniqueArray(fc.constantFrom(...HOSTS)),
    write: fc.boolean(),
  }),
  persona: fc.option(fc.record({ id: fc.constant('p'), trust: fc.double({ min: 0, max: 1, noNaN: true }) }), {
    nil: null,
  }),
  capsule: fc.option(
    fc.record({
      id: fc.constant('c'),
      toolSuite: fc.uniqueArray(fc.constantFrom(...TOOLS)),
      guardrails: fc.constant({}),
    }),
    { nil: null },
  ),
  tenant: fc.constantFrom('acme', 'globex'),
  budget: fc.record({
    spentUsd: fc.double({ min: 0, max: 20, noNaN: true }),
    limitUsd: fc.option(fc.double({ min: 0, max: 20, noNaN: true }), { nil: null }),
  }),
  trainingMode: fc.boolean(),
  taint: fc.uniqueArray(fc.constantFrom('pii', 'secret', 'public', 'financial')),
  denials: fc.nat(10).chain((window) => fc.record({ recent: fc.nat(window), window: fc.constant(window) })),
});

const guardrailsArb: fc.Arbitrary<Guardrails> = fc.record(
  {
    minThreshold: fc.double({ min: 0, max: 1, noNaN: true }),
    deniedTools: fc.uniqueArray(fc.constantFrom(...TOOLS)),
    allowedHosts: fc.uniqueArray(fc.constantFrom('*.example.com', 'internal.corp')),
    maxSpendUsd: fc.double({ min: 0, max: 20, noNaN: true }),
    requireApprovalFor: fc.uniqueArray(fc.constantFrom(...TOOLS)),
  },
  { requiredKeys: [] },
);

describe('tightening is monotone', () => {
  const base = validateConstitution(DEFAULT_CONSTITUTION);

  it('capsule guardrails never make a decision more permissive', () => {
    fc.assert(
      fc.property(descriptorArb, guardrailsArb, (x, guardrails) => {
        const capsule = x.capsule ?? { id: 'c', toolSuite: TOOLS, guardrails: {} };
        const open = evaluate(base, { ...x, capsule: { ...capsule, guardrails: {} } });
        const guarded = evaluate(base, { ...x, capsule: { ...capsule, guardrails } });
        expect(SEVERITY[guarded.decision]).toBeGreaterThanOrEqual(SEVERITY[open.decision]);
        expect(guarded.threshold).toBeGreaterThanOrEqual(open.threshold);
      }),
      { numRuns: 500 },
    );
  });

  it('a tenant overlay never makes a decision more permissive for that tenant', () => {
    const strict = validateConstitution({
      ...DEFAULT_CONSTITUTION,
      overlays: {
        acme: {
          threshold: 0.85,
          reviewThreshold: 0.7,
          deniedTools: ['shell.exec'],
          requireApprovalFor: ['workspace.write'],
          allowedHosts: ['api.example.com'],
          rules: [
            {
              id: 'acme-no-training',
              description: 'no training in acme',
              when: 'trainingMode && args.write',
              effect: 'deny',
            },
          ],
        },
      },
    });
    fc.assert(
      fc.property(descriptorArb, (x) => {
        const before = evaluate(base, { ...x, tenant: 'acme' });
        const after = evaluate(strict, { ...x, tenant: 'acme' });
        expect(SEVERITY[after.decision]).toBeGreaterThanOrEqual(SEVERITY[before.decision]);
        expect(after.score).toBeLessThanOrEqual(before.score);
        // Other tenants are untouched.
        expect(evaluate(strict, { ...x, tenant: 'globex' }).decision).toBe(
          evaluate(base, { ...x, tenant: 'globex' }).decision,
        );
      }),
      { numRuns: 500 },
    );
  });

  it('every score stays in [0, 1] and equals the sum of the contributions', () => {
    fc.assert(
      fc.property(descriptorArb, (x) => {
        const e = evaluate(base, x);
        expect(e.score).toBeGreaterThanOrEqual(0);
        expect(e.score).toBeLessThanOrEqual(1);
        expect(e.score).toBeCloseTo(
          e.contributions.reduce((s, c) => s + c.product, 0),
          10,
        );
      }),
      { numRuns: 500 },
    );
  });
});
