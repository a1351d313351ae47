import type { Contribution, Evaluation, GateDecision, RuleFired } from './evaluate';

/** A recorded decision (e.g. from a `gate.decision` audit event). */
export interface RecordedDecision {
  decision: GateDecision;
  score?: number;
  contributions?: readonly Pick<Contribution, 'feature' | 'product'>[];
  rulesFired?: readonly Pick<RuleFired, 'id'>[];
}

/** How one feature's contribution (weight·φ) moved between two evaluations. */
export interface FeatureShift {
  feature: string;
  before: number;
  after: number;
  delta: number;
}

/** A decision that comes out differently under another constitution, and why. */
export interface DecisionFlip {
  from: GateDecision;
  to: GateDecision;
  scoreBefore: number | null;
  scoreAfter: number;
  /** Features whose contribution moved toward the new decision, largest move first. */
  featureShifts: FeatureShift[];
  /** Rules that fire now but did not. */
  rulesAdded: string[];
  /** Rules that fired but no longer do. */
  rulesRemoved: string[];
}

const SEVERITY: Record<GateDecision, number> = { allow: 0, review: 1, deny: 2 };
const EPSILON = 1e-12;

/**
 * Compares a recorded decision with a re-evaluation; null when the decision did not change.
 * Contributions are compared per feature name (a feature absent on one side counts as 0).
 */
export function compareEvaluations(before: RecordedDecision, after: Evaluation): DecisionFlip | null {
  if (before.decision === after.decision) return null;
  const stricter = SEVERITY[after.decision] > SEVERITY[before.decision];
  const beforeByFeature = new Map((before.contributions ?? []).map((c) => [c.feature, c.product]));
  const afterByFeature = new Map(after.contributions.map((c) => [c.feature, c.product]));
  const names = new Set([...beforeByFeature.keys(), ...afterByFeature.keys()]);
  const featureShifts: FeatureShift[] = [];
  for (const feature of names) {
    const b = beforeByFeature.get(feature) ?? 0;
    const a = afterByFeature.get(feature) ?? 0;
    const delta = a - b;
    if (stricter ? delta < -EPSILON : delta > EPSILON)
      featureShifts.push({ feature, before: b, after: a, delta });
  }
  featureShifts.sort((x, y) => Math.abs(y.delta) - Math.abs(x.delta) || x.feature.localeCompare(y.feature));
  const beforeRules = new Set((before.rulesFired ?? []).map((r) => r.id));
  const afterRules = new Set(after.rulesFired.map((r) => r.id));
  return {
    from: before.decision,
    to: after.decision,
    scoreBefore: typeof before.score === 'number' ? before.score : null,
    scoreAfter: after.score,
    featureShifts,
    rulesAdded: [...afterRules].filter((id) => !beforeRules.has(id)).sort(),
    rulesRemoved: [...beforeRules].filter((id) => !afterRules.has(id)).sort(),
  };
}
