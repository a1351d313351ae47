import { compileConstitution, type CompiledConstitution, type CompiledRule } from './compile';
import { ConstitutionValidationError, type Issue, toIssues } from './errors';
import { PERMISSIVE_DESCRIPTORS, REPRESENTATIVE_DESCRIPTORS } from './representative';
import { runRule } from './rules';
import { type ConstitutionDocument, constitutionSchema } from './schema';

/** How far the weights may sum from 1 (floating-point slack). */
export const WEIGHT_SUM_TOLERANCE = 1e-6;

/**
 * Everything a loaded version must pass before it may gate anything: the schema; every feature
 * kind known and its parameters valid; rules compile; weights finite, ≥ 0 and summing to 1;
 * θ_review < θ; θ reachable (Σ wᵢ·max φᵢ ≥ θ, also per overlay); overlays only tighten; rules
 * evaluate without error on representative actions and no deny rule fires on every benign one.
 *
 * @returns the compiled constitution, ready to evaluate.
 * @throws {ConstitutionValidationError} listing every problem with its field path.
 */
export function validateConstitution(input: unknown): CompiledConstitution {
  const parsed = constitutionSchema.safeParse(input);
  if (!parsed.success) throw new ConstitutionValidationError(toIssues(parsed.error.issues));
  const document = parsed.data;

  const issues: Issue[] = [...checkNumbers(document)];
  let compiled: CompiledConstitution;
  try {
    compiled = compileConstitution(document);
  } catch (err) {
    if (!(err instanceof ConstitutionValidationError)) throw err;
    throw new ConstitutionValidationError([...issues, ...err.issues], { cause: err });
  }
  issues.push(...checkReachable(compiled), ...checkRules(compiled));
  if (issues.length) throw new ConstitutionValidationError(issues);
  return compiled;
}

/** Schema-checks a document without the consistency checks (for overlays of tooling). */
export function parseConstitution(input: unknown): ConstitutionDocument {
  const parsed = constitutionSchema.safeParse(input);
  if (!parsed.success) throw new ConstitutionValidationError(toIssues(parsed.error.issues));
  return parsed.data;
}

function checkNumbers(document: ConstitutionDocument): Issue[] {
  const issues: Issue[] = [];
  const sum = document.features.reduce((s, f) => s + f.weight, 0);
  if (Math.abs(sum - 1) > WEIGHT_SUM_TOLERANCE) {
    issues.push({
      path: 'features',
      message: `weights must sum to 1 so scores share θ's [0, 1] scale; they sum to ${sum}`,
    });
  }
  if (document.reviewThreshold !== undefined && document.reviewThreshold >= document.threshold) {
    issues.push({
      path: 'reviewThreshold',
      message: `the review band [reviewThreshold, threshold) is empty: ${document.reviewThreshold} ≥ ${document.threshold}; lower it or omit it`,
    });
  }
  for (const [tenant, overlay] of Object.entries(document.overlays ?? {})) {
    if (overlay.threshold !== undefined && overlay.threshold < document.threshold) {
      issues.push({
        path: `overlays.${tenant}.threshold`,
        message: `overlays may only tighten: ${overlay.threshold} is below the base threshold ${document.threshold}`,
      });
    }
    const baseReview = document.reviewThreshold ?? document.threshold;
    if (overlay.reviewThreshold !== undefined && overlay.reviewThreshold < baseReview) {
      issues.push({
        path: `overlays.${tenant}.reviewThreshold`,
        message: `overlays may only tighten: ${overlay.reviewThreshold} is below the base review threshold ${baseReview}`,
      });
    }
  }
  return issues;
}

function checkReachable(c: CompiledConstitution): Issue[] {
  const issues: Issue[] = [];
  if (c.maxScore + WEIGHT_SUM_TOLERANCE < c.threshold) {
    issues.push({
      path: 'threshold',
      message: `unreachable: the best possible score is ${c.maxScore} (Σ weight·max φ) but threshold is ${c.threshold}`,
    });
  }
  for (const overlay of c.overlays.values()) {
    if (c.maxScore + WEIGHT_SUM_TOLERANCE < overlay.threshold) {
      issues.push({
        path: `overlays.${overlay.tenant}.threshold`,
        message: `unreachable: the best possible score is ${c.maxScore} but the tenant threshold is ${overlay.threshold}`,
      });
    }
  }
  return issues;
}

function checkRules(c: CompiledConstitution): Issue[] {
  const issues: Issue[] = [];
  const scopes: { path: string; rules: readonly CompiledRule[]; tenant?: string }[] = [
    { path: 'rules', rules: c.rules },
    ...[...c.overlays.values()].map((o) => ({
      path: `overlays.${o.tenant}.rules`,
      rules: o.rules.slice(c.rules.length),
      tenant: o.tenant,
    })),
  ];
  for (const scope of scopes) {
    scope.rules.forEach((rule, i) => {
      const path = `${scope.path}.${i}.when`;
      for (const { name, descriptor } of REPRESENTATIVE_DESCRIPTORS) {
        const outcome = runRule(
          rule.program,
          scope.tenant ? { ...descriptor, tenant: scope.tenant } : descriptor,
        );
        if (outcome.error !== undefined) {
          issues.push({
            path,
            message: `fails on a representative action (${name}): ${outcome.error}; guard nullable fields, e.g. "tool != null && ..."`,
          });
          return;
        }
      }
      if (rule.effect !== 'deny') return;
      const firesOnAll = PERMISSIVE_DESCRIPTORS.every(
        ({ descriptor }) =>
          runRule(rule.program, scope.tenant ? { ...descriptor, tenant: scope.tenant } : descriptor).fired,
      );
      if (firesOnAll) {
        issues.push({
          path,
          message: `denies every action: it fires even for ${PERMISSIVE_DESCRIPTORS.map((d) => d.name).join(', ')}`,
        });
      }
    });
  }
  return issues;
}
