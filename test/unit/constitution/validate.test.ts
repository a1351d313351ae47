import {
  ConstitutionValidationError,
  validateConstitution,
  type ConstitutionDocument,
} from '../../../constitution';
import { simpleConstitution } from '../../fixtures/constitution/descriptors';

function issuesOf(doc: unknown): { path: string; message: string }[] {
  try {
    validateConstitution(doc);
  } catch (err) {
    expect(err).toBeInstanceOf(ConstitutionValidationError);
    return [...(err as ConstitutionValidationError).issues];
  }
  throw new Error('expected validation to fail');
}

const paths = (doc: unknown) => issuesOf(doc).map((i) => i.path);

describe('validateConstitution', () => {
  it('accepts a consistent document and returns it compiled', () => {
    const compiled = validateConstitution(simpleConstitution());
    expect(compiled.features.map((f) => f.name)).toEqual(['risk', 'writes', 'trust']);
    expect(compiled.maxScore).toBeCloseTo(1);
    expect(compiled.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('names schema errors by path', () => {
    const doc = simpleConstitution() as Record<string, unknown>;
    expect(paths({ ...doc, version: 0 })).toEqual(['version']);
    expect(paths({ ...doc, label: 'v1' })).toEqual(['label']);
    expect(paths({ ...doc, extra: true })).toEqual(['(root)']);
    const features = [...simpleConstitution().features];
    features[1] = { ...features[1]!, weight: -0.3 };
    expect(paths({ ...doc, features })).toContain('features.1.weight');
  });

  it('rejects unknown feature kinds and bad feature params', () => {
    const doc = simpleConstitution();
    const features = [...doc.features];
    features[0] = { ...features[0]!, kind: 'vibes' };
    const issues = issuesOf({ ...doc, features });
    expect(issues[0]).toMatchObject({
      path: 'features.0.kind',
      message: expect.stringContaining('unknown feature kind "vibes"'),
    });
    features[0] = { ...doc.features[0]!, params: { scores: { low: 2, medium: 1, high: 1, critical: 1 } } };
    expect(paths({ ...doc, features })).toEqual(['features.0.params.scores.low']);
  });

  it('requires weights summing to 1', () => {
    const doc = simpleConstitution();
    const features = doc.features.map((f) => ({ ...f, weight: f.weight * 2 }));
    expect(issuesOf({ ...doc, features })[0]).toMatchObject({
      path: 'features',
      message: expect.stringContaining('sum to 2'),
    });
  });

  it('rejects rules that do not compile, with the CEL error', () => {
    const doc = simpleConstitution({
      rules: [{ id: 'bad', description: 'x', when: 'tool.id ==', effect: 'deny' }],
    });
    expect(paths(doc)).toEqual(['rules.0.when']);
    const notBool = simpleConstitution({
      rules: [{ id: 'num', description: 'x', when: 'size(taint)', effect: 'deny' }],
    });
    expect(issuesOf(notBool)[0]!.message).toContain('bool');
    const unknown = simpleConstitution({
      rules: [{ id: 'u', description: 'x', when: 'secretLevel > 3', effect: 'deny' }],
    });
    expect(issuesOf(unknown)[0]!.message).toContain('secretLevel');
  });

  it('rejects an unreachable threshold', () => {
    const doc = simpleConstitution({ threshold: 0.95, reviewThreshold: 0.5 });
    const features = [...doc.features];
    features[1] = { ...features[1]!, params: { read: 0.8, write: 0.5 } }; // max S = 0.5 + 0.24 + 0.2 = 0.94
    expect(issuesOf({ ...doc, features })).toEqual([
      { path: 'threshold', message: expect.stringContaining('unreachable') },
    ]);
  });

  it('rejects an empty review band', () => {
    expect(paths(simpleConstitution({ reviewThreshold: 0.8 }))).toEqual(['reviewThreshold']);
  });

  it('rejects a rule that denies every action', () => {
    const doc = simpleConstitution({
      rules: [{ id: 'deny-all', description: 'oops', when: 'tenant != ""', effect: 'deny' }],
    });
    expect(issuesOf(doc)).toEqual([
      { path: 'rules.0.when', message: expect.stringContaining('denies every action') },
    ]);
    // The same expression as a review rule is legal: everything needs approval.
    expect(() =>
      validateConstitution(simpleConstitution({ rules: [{ ...doc.rules![0]!, effect: 'review' }] })),
    ).not.toThrow();
  });

  it('rejects a rule that errors on ordinary actions (unguarded null)', () => {
    const doc = simpleConstitution({
      rules: [{ id: 'np', description: 'x', when: 'tool.risk == "high"', effect: 'deny' }],
    });
    expect(issuesOf(doc)).toEqual([
      { path: 'rules.0.when', message: expect.stringContaining('tool != null') },
    ]);
  });

  it('rejects overlays that loosen and names the tenant', () => {
    const doc: ConstitutionDocument = simpleConstitution({
      overlays: { acme: { threshold: 0.7, reviewThreshold: 0.5 } },
    });
    expect(paths(doc).sort()).toEqual(['overlays.acme.reviewThreshold', 'overlays.acme.threshold']);
    const unreachable = simpleConstitution({ threshold: 0.9, overlays: { acme: { threshold: 0.99 } } });
    // max S = 0.5 + 0.3·0.8 + 0.2 = 0.94: the base θ is reachable, the tenant's is not
    const features = unreachable.features.map((f) =>
      f.name === 'writes' ? { ...f, params: { read: 0.8, write: 0.5 } } : f,
    );
    expect(issuesOf({ ...unreachable, features })).toEqual([
      { path: 'overlays.acme.threshold', message: expect.stringContaining('unreachable') },
    ]);
    expect(
      paths(
        simpleConstitution({
          overlays: { acme: { rules: [{ id: 'x', description: 'y', when: 'true', effect: 'deny' }] } },
        }),
      ),
    ).toEqual(['overlays.acme.rules.0.when']);
  });
});
