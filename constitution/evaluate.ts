import type { CompiledConstitution, CompiledOverlay, RuleSource } from './compile';
import type { ActionDescriptor } from './descriptor';
import { runRule } from './rules';

/** The three outcomes of the gate. */
export type GateDecision = 'allow' | 'review' | 'deny';

/** One feature's share of the score: product = weight · φ. */
export interface Contribution {
  feature: string;
  phi: number;
  weight: number;
  product: number;
}

/** A hard rule (or guardrail / overlay restriction) that fired for this action. */
export interface RuleFired {
  id: string;
  effect: 'deny' | 'review';
  source: RuleSource;
  description: string;
  /** Set when the rule failed to evaluate; failing rules count as fired (fail closed). */
  error?: string;
}

/** The explained result of gating one action. */
export interface Evaluation {
  decision: GateDecision;
  /** S = Σ wᵢ·φᵢ. */
  score: number;
  /** Effective θ after overlays and guardrails: S ≥ threshold allows. */
  threshold: number;
  /** Effective θ_review: reviewThreshold ≤ S < threshold needs approval; below it, deny. */
  reviewThreshold: number;
  contributions: Contribution[];
  rulesFired: RuleFired[];
  constitutionHash: string;
  constitutionVersion: number;
}

const SEVERITY: Record<GateDecision, number> = { allow: 0, review: 1, deny: 2 };

/**
 * Scores and decides one action. Pure and deterministic: the same constitution and descriptor
 * always give the same evaluation, with no I/O, clock or randomness, so it can run inside the
 * worker's activity interceptor and be replayed later (what-if).
 *
 * Order: S = Σ wᵢ·φᵢ against θ' = max(θ, overlay θ, guardrails.minThreshold) gives the band
 * decision (allow / review / deny); `review` rules, the guardrail's `requireApprovalFor` and the
 * overlay's raise it to at least review; `deny` rules and denied tools deny outright.
 */
export function evaluate(constitution: CompiledConstitution, x: ActionDescriptor): Evaluation {
  const scope: CompiledOverlay = constitution.overlays.get(x.tenant) ?? constitution.base;

  const contributions: Contribution[] = new Array<Contribution>(constitution.features.length);
  let score = 0;
  for (let i = 0; i < constitution.features.length; i += 1) {
    const f = constitution.features[i]!;
    const phi = f.phi(x, scope.context);
    const product = f.weight * phi;
    score += product;
    contributions[i] = { feature: f.name, phi, weight: f.weight, product };
  }

  // Floating-point sums of products can land a hair below a hand-set θ (0.7499999999999999);
  // round to 12 decimals so documented hand-computed scores behave as written.
  score = Math.round(score * 1e12) / 1e12;

  const guardrails = x.capsule?.guardrails;
  const floor = guardrails?.minThreshold;
  const threshold = floor !== undefined && floor > scope.threshold ? floor : scope.threshold;
  const reviewThreshold = Math.min(scope.reviewThreshold, threshold);

  let decision: GateDecision = score >= threshold ? 'allow' : score >= reviewThreshold ? 'review' : 'deny';
  const rulesFired: RuleFired[] = [];
  const raise = (to: GateDecision) => {
    if (SEVERITY[to] > SEVERITY[decision]) decision = to;
  };

  for (const rule of scope.rules) {
    const outcome = runRule(rule.program, x);
    if (!outcome.fired) continue;
    const fired: RuleFired = {
      id: rule.id,
      effect: rule.effect,
      source: rule.source,
      description: rule.description,
    };
    if (outcome.error !== undefined) fired.error = outcome.error;
    rulesFired.push(fired);
    raise(rule.effect);
  }

  const toolId = x.tool?.id;
  if (toolId !== undefined) {
    if (guardrails?.deniedTools?.includes(toolId)) {
      rulesFired.push(
        restriction('guardrail.denied-tools', 'deny', 'guardrail', `capsule guardrails deny tool ${toolId}`),
      );
      raise('deny');
    }
    if (scope.deniedTools.has(toolId)) {
      rulesFired.push(
        restriction('overlay.denied-tools', 'deny', 'overlay', `tenant overlay denies tool ${toolId}`),
      );
      raise('deny');
    }
    if (guardrails?.requireApprovalFor?.includes(toolId)) {
      rulesFired.push(
        restriction(
          'guardrail.require-approval',
          'review',
          'guardrail',
          `capsule guardrails require approval for ${toolId}`,
        ),
      );
      raise('review');
    }
    if (scope.requireApprovalFor.has(toolId)) {
      rulesFired.push(
        restriction(
          'overlay.require-approval',
          'review',
          'overlay',
          `tenant overlay requires approval for ${toolId}`,
        ),
      );
      raise('review');
    }
  }

  return {
    decision,
    score,
    threshold,
    reviewThreshold,
    contributions,
    rulesFired,
    constitutionHash: constitution.hash,
    constitutionVersion: constitution.version,
  };
}

function restriction(
  id: string,
  effect: 'deny' | 'review',
  source: RuleSource,
  description: string,
): RuleFired {
  return { id, effect, source, description };
}
