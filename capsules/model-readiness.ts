import { modelLifecycle } from './model-lifecycle';
import type { CapsulePlan } from './plan';
import { priceOf, unpricedModelMessage, type PriceTable } from './prices';
import { isKnownProvider, providerMissingMessage, SLM_PROVIDERS, splitModelRef } from './slm-providers';

/**
 * Can the models a plan's steps use actually run here? `capsule validate` / `capsule plan` and
 * `npm start` ask this one question before a run would find out: a step whose model has no price
 * (the SLM activity refuses to call it) or that its provider has retired is an error; a step whose
 * provider has no key yet, or whose model retires soon, is a warning. Pure and sandbox-safe.
 */

export type ModelReadinessCode =
  'unpriced-model' | 'unknown-provider' | 'provider-not-configured' | 'retired-model' | 'retiring-model';

export interface ModelReadinessIssue {
  severity: 'error' | 'warning';
  code: ModelReadinessCode;
  /** Persona template `id@version`. */
  persona: string;
  /** `provider/model`. */
  model: string;
  /** Capsules (`id@version`, nested ones included) with a step that runs this persona on it. */
  capsules: string[];
  /** The environment variable to set (`provider-not-configured`). */
  variable?: string;
  /** The model to move to (`retired-model`, `retiring-model`). */
  replacement?: string;
  /** ISO date the provider retires (retired) the model. */
  retiresOn?: string;
  /** Names the persona, the model and the fix. */
  message: string;
}

/**
 * Every persona/model pair the plans' persona steps (nested capsules included) would call that
 * cannot run: unpriced in `prices`, or of a provider missing from `configuredProviders`. One
 * issue per persona, model and problem, listing the capsules that use it; sorted by persona,
 * model and code so reports are stable.
 */
export function checkModelReadiness(
  plans: CapsulePlan | readonly CapsulePlan[],
  configuredProviders: readonly string[],
  prices: PriceTable,
  /** YYYY-MM-DD, for retirement dates; omitted, retirements are not checked. */
  today?: string,
): ModelReadinessIssue[] {
  const configured = new Set(configuredProviders);
  const issues = new Map<string, ModelReadinessIssue>();
  const add = (issue: Omit<ModelReadinessIssue, 'capsules' | 'message'>, capsule: string) => {
    const key = `${issue.persona}\n${issue.model}\n${issue.code}`;
    const seen = issues.get(key);
    if (seen) {
      if (!seen.capsules.includes(capsule)) seen.capsules.push(capsule);
      return;
    }
    issues.set(key, { ...issue, capsules: [capsule], message: '' });
  };

  const visit = (plan: CapsulePlan) => {
    const capsule = `${plan.capsule.id}@${plan.capsule.version}`;
    for (const step of plan.steps) {
      if (step.kind === 'capsule') {
        visit(step.plan);
        continue;
      }
      const template = plan.personas[step.persona];
      const persona = template ? `${template.id}@${template.version}` : step.persona;
      const { provider } = splitModelRef(step.model);
      if (!priceOf(prices, step.model)) {
        add({ severity: 'error', code: 'unpriced-model', persona, model: step.model }, capsule);
      }
      const lifecycle = today === undefined ? undefined : modelLifecycle(step.model, today);
      if (lifecycle && lifecycle.state !== 'current') {
        const { replacement, retiresOn } = lifecycle;
        const retired = lifecycle.state === 'retired';
        add(
          {
            severity: retired ? 'error' : 'warning',
            code: retired ? 'retired-model' : 'retiring-model',
            persona,
            model: step.model,
            replacement,
            retiresOn,
          },
          capsule,
        );
      }
      if (configured.has(provider)) continue;
      if (isKnownProvider(provider)) {
        const variable = SLM_PROVIDERS[provider].variable;
        add(
          { severity: 'warning', code: 'provider-not-configured', persona, model: step.model, variable },
          capsule,
        );
      } else {
        add({ severity: 'error', code: 'unknown-provider', persona, model: step.model }, capsule);
      }
    }
  };
  // `Array.isArray` does not narrow a readonly array union, hence the check on a plan's field.
  for (const plan of 'steps' in plans ? [plans] : plans) visit(plan);

  const result = [...issues.values()].map((issue) => {
    issue.capsules.sort();
    return { ...issue, message: messageOf(issue, configuredProviders) };
  });
  return result.sort(
    (a, b) =>
      a.persona.localeCompare(b.persona) || a.model.localeCompare(b.model) || a.code.localeCompare(b.code),
  );
}

function messageOf(issue: ModelReadinessIssue, configured: readonly string[]): string {
  const who = `persona ${issue.persona} (in ${issue.capsules.join(', ')})`;
  if (issue.code === 'unpriced-model') {
    return `${who}: ${unpricedModelMessage(issue.model)}`;
  }
  if (issue.code === 'retired-model' || issue.code === 'retiring-model') {
    const when = issue.code === 'retired-model' ? 'was retired by its provider on' : 'retires on';
    return `${who}: model ${issue.model} ${when} ${issue.retiresOn}: move the persona to ${issue.replacement} (a new persona version)`;
  }
  return `${who}: ${providerMissingMessage(issue.model, configured)}`;
}

/** `error: …` / `warning: …`, one line per issue, for CLIs and start-up reports. */
export function formatReadinessIssue(issue: ModelReadinessIssue): string {
  return `${issue.severity}: ${issue.message}`;
}
