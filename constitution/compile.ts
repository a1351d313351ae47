import { ConstitutionValidationError, type Issue, toIssues } from './errors';
import { featureDefinition, FEATURE_KINDS } from './features/catalog';
import type { FeatureContext, Phi } from './features/types';
import { canonicalHash } from './hash';
import { compileRule, type RuleProgram, RuleCompileError } from './rules';
import type { ConstitutionDocument, RuleSpec } from './schema';

/** A feature bound to its parameters. */
export interface CompiledFeature {
  readonly name: string;
  readonly kind: string;
  readonly weight: number;
  readonly maxPhi: number;
  readonly phi: Phi;
}

/** Where a rule comes from; shown in `rulesFired`. */
export type RuleSource = 'constitution' | 'overlay' | 'guardrail';

/** A hard rule with its CEL program compiled. */
export interface CompiledRule {
  readonly id: string;
  readonly description: string;
  readonly effect: 'deny' | 'review';
  readonly source: RuleSource;
  readonly when: string;
  readonly program: RuleProgram;
}

/** A tenant overlay resolved against its base constitution. */
export interface CompiledOverlay {
  readonly tenant: string;
  /** Effective θ for the tenant (already max'ed with the base). */
  readonly threshold: number;
  /** Effective θ_review for the tenant (already max'ed with the base). */
  readonly reviewThreshold: number;
  /** Base rules followed by the overlay's own. */
  readonly rules: readonly CompiledRule[];
  readonly deniedTools: ReadonlySet<string>;
  readonly requireApprovalFor: ReadonlySet<string>;
  readonly context: FeatureContext;
}

/**
 * A constitution ready for per-call evaluation: features bound to their parameters, CEL rules
 * compiled, overlays pre-merged per tenant. Build it once per version (it is immutable) and
 * evaluate many times.
 */
export interface CompiledConstitution {
  readonly document: ConstitutionDocument;
  /** `sha256:<hex>` of the canonical document: the identity of this version. */
  readonly hash: string;
  readonly version: number;
  readonly label: string;
  readonly features: readonly CompiledFeature[];
  readonly threshold: number;
  /** θ_review; equals θ when the constitution has no review band. */
  readonly reviewThreshold: number;
  readonly rules: readonly CompiledRule[];
  /** What applies to tenants without an overlay. */
  readonly base: CompiledOverlay;
  readonly overlays: ReadonlyMap<string, CompiledOverlay>;
  /** Σ wᵢ·max φᵢ: the best score any action can reach. */
  readonly maxScore: number;
}

const EMPTY_CONTEXT: FeatureContext = Object.freeze({ hostAllowlists: Object.freeze([]) });

/**
 * Binds a schema-valid document into its {@link CompiledConstitution}. Use
 * `validateConstitution` for documents from outside: it also runs the consistency checks.
 *
 * @throws {ConstitutionValidationError} naming the field of every unknown feature kind, bad
 *   feature parameter or rule that does not compile.
 */
export function compileConstitution(document: ConstitutionDocument): CompiledConstitution {
  const issues: Issue[] = [];
  const features = compileFeatures(document, issues);
  const rules = compileRules(document.rules ?? [], 'rules', 'constitution', issues);
  const threshold = document.threshold;
  const reviewThreshold = Math.min(document.reviewThreshold ?? threshold, threshold);

  const base: CompiledOverlay = {
    tenant: '*',
    threshold,
    reviewThreshold,
    rules,
    deniedTools: new Set(),
    requireApprovalFor: new Set(),
    context: EMPTY_CONTEXT,
  };
  const overlays = new Map<string, CompiledOverlay>();
  for (const [tenant, overlay] of Object.entries(document.overlays ?? {})) {
    const own = compileRules(overlay.rules ?? [], `overlays.${tenant}.rules`, 'overlay', issues);
    // Overlays may only tighten: taking the max makes a loosening overlay harmless even before
    // validation rejects it.
    const t = Math.max(threshold, overlay.threshold ?? threshold);
    overlays.set(tenant, {
      tenant,
      threshold: t,
      reviewThreshold: Math.min(t, Math.max(reviewThreshold, overlay.reviewThreshold ?? reviewThreshold)),
      rules: [...rules, ...own],
      deniedTools: new Set(overlay.deniedTools ?? []),
      requireApprovalFor: new Set(overlay.requireApprovalFor ?? []),
      context: overlay.allowedHosts ? { hostAllowlists: [overlay.allowedHosts] } : EMPTY_CONTEXT,
    });
  }
  if (issues.length) throw new ConstitutionValidationError(issues);

  return {
    document,
    hash: canonicalHash(document),
    version: document.version,
    label: document.label,
    features,
    threshold,
    reviewThreshold,
    rules,
    base,
    overlays,
    maxScore: features.reduce((sum, f) => sum + f.weight * f.maxPhi, 0),
  };
}

function compileFeatures(document: ConstitutionDocument, issues: Issue[]): CompiledFeature[] {
  const compiled: CompiledFeature[] = [];
  const seen = new Set<string>();
  document.features.forEach((spec, i) => {
    if (seen.has(spec.name)) {
      issues.push({ path: `features.${i}.name`, message: `duplicate feature name "${spec.name}"` });
    }
    seen.add(spec.name);
    const definition = featureDefinition(spec.kind);
    if (!definition) {
      issues.push({
        path: `features.${i}.kind`,
        message: `unknown feature kind "${spec.kind}"; known kinds: ${FEATURE_KINDS.join(', ')}`,
      });
      return;
    }
    const params = definition.params.safeParse(spec.params ?? {});
    if (!params.success) {
      issues.push(...toIssues(params.error.issues, `features.${i}.params`));
      return;
    }
    compiled.push({
      name: spec.name,
      kind: spec.kind,
      weight: spec.weight,
      maxPhi: definition.maxPhi(params.data),
      phi: definition.create(params.data),
    });
  });
  return compiled;
}

function compileRules(
  specs: readonly RuleSpec[],
  path: string,
  source: RuleSource,
  issues: Issue[],
): CompiledRule[] {
  const compiled: CompiledRule[] = [];
  const seen = new Set<string>();
  specs.forEach((spec, i) => {
    if (seen.has(spec.id))
      issues.push({ path: `${path}.${i}.id`, message: `duplicate rule id "${spec.id}"` });
    seen.add(spec.id);
    try {
      compiled.push({ ...spec, source, program: compileRule(spec.when) });
    } catch (err) {
      if (!(err instanceof RuleCompileError)) throw err;
      issues.push({ path: `${path}.${i}.when`, message: `CEL: ${err.message}` });
    }
  });
  return compiled;
}
