import type { ActionDescriptor, Contribution, Evaluation, GateDecision, RuleFired } from '../../constitution';
import type { FailClosed } from './describe-activity';

/**
 * What the gate did with an activity. `review` is the review band without an approval (the
 * activity fails with `ApprovalRequired`); `approved` is the review band with a matching human
 * approval (it runs); `refused` is the review band for a call the activity's own pre-check
 * refuses (it fails with the activity's failure and nobody is asked); `fail-closed` is a denial
 * without an evaluation (no or bad header, unknown tool, no constitution loaded).
 */
export type GateOutcome = 'allow' | 'approved' | 'review' | 'refused' | 'deny' | 'fail-closed';

/** A fired rule; `source: 'gate'` marks the gate's own fail-closed denials. */
export type ExplainedRule = Omit<RuleFired, 'source'> & { source: RuleFired['source'] | 'gate' };

/**
 * Why the gate decided as it did: what the failure carries to the workflow (and the human
 * approving), and the core of the audited decision. It holds the score, thresholds, per-feature
 * contributions, fired rules and the constitution version — and of the arguments only their
 * digest: never argument values or secrets.
 */
export interface GateExplanation {
  /** The constitution's decision (`deny` when failing closed). */
  decision: GateDecision;
  outcome: GateOutcome;
  /** One sentence for humans. */
  reason: string;
  score: number | null;
  threshold: number | null;
  reviewThreshold: number | null;
  contributions: Contribution[];
  rulesFired: ExplainedRule[];
  constitutionHash: string | null;
  constitutionVersion: number | null;
  activityType: string;
  toolId: string | null;
  /** `sha256:` of the canonical arguments; null when no descriptor could be built. */
  argsDigest: string | null;
  /** Set when the gate denied without evaluating. */
  failClosed?: { reason: FailClosed['reason']; issues?: ReadonlyArray<{ path: string; message: string }> };
  /**
   * Set when the outcome is `refused`: the failure type the activity's pre-check raised (its
   * message stays out of the audit record: it may quote the arguments).
   */
  refusal?: { type: string };
}

/** Explains an evaluated decision. */
export function explainEvaluation(
  evaluation: Evaluation,
  descriptor: ActionDescriptor,
  outcome: Exclude<GateOutcome, 'fail-closed' | 'refused'>,
): GateExplanation {
  return {
    decision: evaluation.decision,
    outcome,
    reason: reasonFor(evaluation, outcome),
    score: evaluation.score,
    threshold: evaluation.threshold,
    reviewThreshold: evaluation.reviewThreshold,
    contributions: evaluation.contributions,
    rulesFired: evaluation.rulesFired,
    constitutionHash: evaluation.constitutionHash,
    constitutionVersion: evaluation.constitutionVersion,
    activityType: descriptor.activityType,
    toolId: descriptor.tool?.id ?? null,
    argsDigest: descriptor.args.digest,
  };
}

/**
 * Explains a review-band decision whose call the activity's own pre-check refused: the
 * constitution's judgement stays on record (decision `review`, score, rules) and the reason
 * says why nobody was asked.
 */
export function explainRefusedBeforeReview(review: GateExplanation, refusalType: string): GateExplanation {
  return {
    ...review,
    outcome: 'refused',
    reason: `refused by the activity's own checks (${refusalType}) before anyone was asked to approve; the action ${review.reason}`,
    refusal: { type: refusalType },
  };
}

/** Explains a fail-closed denial. */
export function explainFailClosed(
  failure: FailClosed,
  facts: {
    activityType: string;
    toolId: string | null;
    argsDigest: string | null;
    constitution: { hash: string; version: number } | null;
  },
): GateExplanation {
  return {
    decision: 'deny',
    outcome: 'fail-closed',
    reason: failure.message,
    score: null,
    threshold: null,
    reviewThreshold: null,
    contributions: [],
    rulesFired: [
      {
        id: `gate.${failure.reason}`,
        effect: 'deny',
        source: 'gate',
        description: failure.message,
      },
    ],
    constitutionHash: facts.constitution?.hash ?? null,
    constitutionVersion: facts.constitution?.version ?? null,
    activityType: facts.activityType,
    toolId: facts.toolId,
    argsDigest: facts.argsDigest,
    failClosed: { reason: failure.reason, ...(failure.issues ? { issues: failure.issues } : {}) },
  };
}

const round = (n: number) => Math.round(n * 1000) / 1000;

function reasonFor(evaluation: Evaluation, outcome: GateOutcome): string {
  const score = `score ${round(evaluation.score)}`;
  const band =
    evaluation.score >= evaluation.threshold
      ? `${score} ≥ θ ${round(evaluation.threshold)}`
      : evaluation.score >= evaluation.reviewThreshold
        ? `${score} in the review band [${round(evaluation.reviewThreshold)}, ${round(evaluation.threshold)})`
        : `${score} < θ_review ${round(evaluation.reviewThreshold)}`;
  const rules = evaluation.rulesFired.map((r) => `${r.effect} rule ${r.id}: ${r.description}`);
  const verdict =
    outcome === 'approved'
      ? 'allowed with a human approval'
      : outcome === 'review'
        ? 'needs approval'
        : outcome;
  return `${verdict} (${[band, ...rules].join('; ')}) under constitution v${evaluation.constitutionVersion}`;
}
