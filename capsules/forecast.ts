import { defaultCoefficients, type ForecastCoefficients } from './coefficients';
import type { CapsulePlan, PersonaPlanStep } from './plan';
import { DEFAULT_PRICES, priceOf, type PriceTable } from './prices';
import { countTokens as tiktokenCount, type TokenCounter } from './tokenizer';

/**
 * Token and cost forecast of a compiled plan:
 *
 *   tokens_est(step) = prompt + baseline(task) + Σ tool_coeff × expected_calls + persona_factor
 *
 * where `prompt` is the measured size of the persona's system prompt plus the instruction
 * (js-tiktoken) and the other terms are learned coefficients (`coefficients.ts`). Terms are
 * treated as independent, so variances add; the interval is mean ± z·σ (clamped at the prompt).
 * Nested capsules contribute their own forecast. Cost splits tokens into input/output by the
 * learned output share and prices them per model.
 */

export interface Range {
  mean: number;
  low: number;
  high: number;
}

export interface StepForecast {
  stepId: string;
  kind: 'persona' | 'capsule';
  model?: string;
  promptTokens: number;
  /** The terms of the formula (means). */
  components: { prompt: number; baseline: number; tools: Record<string, number>; persona: number };
  tokens: Range;
  costUsd: Range;
  /** Variance of the token estimate (for combining). */
  variance: number;
  /** Forecast of a nested capsule. */
  nested?: PlanForecast;
}

export interface PlanForecast {
  capsule: string;
  confidence: number;
  steps: StepForecast[];
  tokens: Range;
  costUsd: Range;
  variance: number;
  budget: {
    tokens: number;
    costUsd: number;
    /** The upper bound fits within the budget. */
    withinBudget: boolean;
    /** The upper cost bound exceeds the approval limit: a human must approve the run. */
    needsApproval: boolean;
  };
  /** Models with no price (priced at 0). */
  unknownModels: string[];
}

export interface ForecastOptions {
  coefficients?: ForecastCoefficients;
  prices?: PriceTable;
  /** Two-sided confidence level of the interval. @default 0.9 */
  confidence?: 0.8 | 0.9 | 0.95 | 0.99;
  countTokens?: TokenCounter;
}

const Z: Record<number, number> = { 0.8: 1.2816, 0.9: 1.6449, 0.95: 1.96, 0.99: 2.5758 };

/** Forecasts tokens and cost for every step of a plan and in total. */
export function forecastPlan(plan: CapsulePlan, options: ForecastOptions = {}): PlanForecast {
  const coefficients = options.coefficients ?? defaultCoefficients();
  const prices = options.prices ?? DEFAULT_PRICES;
  const confidence = options.confidence ?? 0.9;
  const z = Z[confidence]!;
  const count = options.countTokens ?? tiktokenCount;
  const unknown = new Set<string>();

  const forecast = (p: CapsulePlan): PlanForecast => {
    const steps: StepForecast[] = p.steps.map((step) => {
      if (step.kind === 'capsule') {
        const nested = forecast(step.plan);
        return {
          stepId: step.id,
          kind: 'capsule',
          promptTokens: 0,
          components: { prompt: 0, baseline: 0, tools: {}, persona: 0 },
          tokens: nested.tokens,
          costUsd: nested.costUsd,
          variance: nested.variance,
          nested,
        };
      }
      return personaStep(p, step);
    });
    const mean = steps.reduce((s, f) => s + f.tokens.mean, 0);
    const variance = steps.reduce((s, f) => s + f.variance, 0);
    const prompt = steps.reduce((s, f) => s + (f.nested ? f.nested.tokens.low : f.promptTokens), 0);
    const tokens = interval(mean, variance, prompt);
    const costMean = steps.reduce((s, f) => s + f.costUsd.mean, 0);
    // Cost scales with tokens; use the plan's average price per token for the interval.
    const perToken = mean > 0 ? costMean / mean : 0;
    const costUsd = { mean: costMean, low: tokens.low * perToken, high: tokens.high * perToken };
    return {
      capsule: `${p.capsule.id}@${p.capsule.version}`,
      confidence,
      steps,
      tokens,
      costUsd,
      variance,
      budget: {
        tokens: p.budget.tokens,
        costUsd: p.budget.costUsd,
        withinBudget: tokens.high <= p.budget.tokens && costUsd.high <= p.budget.costUsd,
        needsApproval: p.budget.approvalLimitUsd !== undefined && costUsd.high > p.budget.approvalLimitUsd,
      },
      unknownModels: [...unknown].sort(),
    };
  };

  const personaStep = (p: CapsulePlan, step: PersonaPlanStep): StepForecast => {
    const persona = p.personas[step.persona]!;
    const promptTokens = count(`${persona.systemPrompt}\n\n${step.instruction}`);
    const baseline = coefficients.baseline[step.task];
    const personaCoeff = coefficients.personas[persona.id] ?? coefficients.defaultPersona;
    const tools: Record<string, number> = {};
    let mean = promptTokens + baseline.mean + personaCoeff.mean;
    let variance = baseline.variance + personaCoeff.variance;
    for (const [tool, calls] of Object.entries(step.expectedToolCalls)) {
      const c = coefficients.tools[tool] ?? coefficients.defaultTool;
      tools[tool] = calls * c.mean;
      mean += calls * c.mean;
      variance += calls * calls * c.variance;
    }
    const tokens = interval(mean, variance, promptTokens);
    const price = priceOf(prices, step.model);
    if (!price) unknown.add(step.model);
    const perToken = price
      ? ((1 - coefficients.outputShare) * price.inputPerMTok +
          coefficients.outputShare * price.outputPerMTok) /
        1e6
      : 0;
    return {
      stepId: step.id,
      kind: 'persona',
      model: step.model,
      promptTokens,
      components: { prompt: promptTokens, baseline: baseline.mean, tools, persona: personaCoeff.mean },
      tokens,
      costUsd: { mean: tokens.mean * perToken, low: tokens.low * perToken, high: tokens.high * perToken },
      variance,
    };
  };

  function interval(mean: number, variance: number, floor: number): Range {
    const spread = z * Math.sqrt(variance);
    return { mean, low: Math.max(floor, mean - spread), high: mean + spread };
  }

  return forecast(plan);
}
