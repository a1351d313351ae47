import type { StepTask } from './capsule-schema';

/**
 * Forecast coefficients and how they learn from recorded runs. Each coefficient is an
 * exponentially weighted mean and variance of observed token counts, starting from priors.
 * Sandbox-safe (pure).
 */
export interface Coefficient {
  /** Expected tokens. */
  mean: number;
  /** Variance of the tokens (EW estimate). */
  variance: number;
  /** Observations folded in so far (0 = prior only). */
  samples: number;
}

export interface ForecastCoefficients {
  /** Tokens a step of this kind uses beyond its measured prompt (turns, reasoning, output). */
  baseline: Record<StepTask, Coefficient>;
  /** Tokens per call of a tool (arguments plus the result fed back to the model). */
  tools: Record<string, Coefficient>;
  /** Added per step a persona runs (its verbosity, skills, system-prompt growth). */
  personas: Record<string, Coefficient>;
  /** For tools and personas without their own entry. */
  defaultTool: Coefficient;
  defaultPersona: Coefficient;
  /** Share of tokens that are output (completion) tokens, for pricing. */
  outputShare: number;
}

/** A prior with a coefficient of variation of 50%. */
const prior = (mean: number): Coefficient => ({ mean, variance: (mean * 0.5) ** 2, samples: 0 });

/** Priors from typical agent runs; replaced by learned values as runs are recorded. */
export function defaultCoefficients(): ForecastCoefficients {
  return {
    baseline: {
      plan: prior(6_000),
      research: prior(10_000),
      analysis: prior(12_000),
      writing: prior(12_000),
      codegen: prior(40_000),
      design: prior(15_000),
      review: prior(8_000),
      summary: prior(4_000),
      triage: prior(3_000),
    },
    tools: {
      'workspace.read': prior(2_500),
      'workspace.write': prior(1_500),
      'workspace.list': prior(300),
      'http.request': prior(3_000),
      'memory.recall': prior(1_000),
      'memory.remember': prior(300),
      delegate: prior(20_000),
      finish: prior(200),
    },
    personas: {},
    defaultTool: prior(1_000),
    defaultPersona: prior(500),
    outputShare: 0.25,
  };
}

/** What one step of a recorded run actually used. */
export interface StepUsage {
  task: StepTask;
  /** Persona template id (not the alias). */
  personaId: string;
  /** Tokens of the initial prompt (system prompt + instruction), as the forecast measured it. */
  promptTokens: number;
  /** Total tokens the step used (input + output, every turn). */
  totalTokens: number;
  /** Calls made per tool. */
  toolCalls: Record<string, number>;
  /** Output tokens, when the provider reports them; updates `outputShare`. */
  outputTokens?: number;
}

/** Folds one observation into a coefficient (West/Finch exponentially weighted update). */
export function ewUpdate(c: Coefficient, x: number, alpha: number): Coefficient {
  const diff = x - c.mean;
  const increment = alpha * diff;
  return {
    mean: c.mean + increment,
    variance: (1 - alpha) * (c.variance + diff * increment),
    samples: c.samples + 1,
  };
}

/**
 * Learns from one step's actual usage. The tokens beyond the prompt are split over the baseline,
 * tool and persona terms in proportion to what the current coefficients predicted for them; each
 * term's share (per call, for tools) is then folded in with weight `alpha`.
 */
export function updateCoefficients(
  current: ForecastCoefficients,
  usage: StepUsage,
  alpha = 0.2,
): ForecastCoefficients {
  const next: ForecastCoefficients = {
    ...current,
    baseline: { ...current.baseline },
    tools: { ...current.tools },
    personas: { ...current.personas },
  };
  const baseline = current.baseline[usage.task];
  const persona = current.personas[usage.personaId] ?? current.defaultPersona;
  const calls = Object.entries(usage.toolCalls).filter(([, n]) => n > 0);
  const toolOf = (tool: string) => current.tools[tool] ?? current.defaultTool;
  const predicted = baseline.mean + persona.mean + calls.reduce((s, [t, n]) => s + n * toolOf(t).mean, 0);
  const observed = Math.max(0, usage.totalTokens - usage.promptTokens);
  const scale = predicted > 0 ? observed / predicted : 0;

  next.baseline[usage.task] = ewUpdate(baseline, predicted > 0 ? baseline.mean * scale : observed, alpha);
  next.personas[usage.personaId] = ewUpdate(persona, persona.mean * scale, alpha);
  for (const [tool] of calls) {
    next.tools[tool] = ewUpdate(toolOf(tool), toolOf(tool).mean * scale, alpha);
  }
  if (usage.outputTokens !== undefined && usage.totalTokens > 0) {
    next.outputShare =
      current.outputShare + alpha * (usage.outputTokens / usage.totalTokens - current.outputShare);
  }
  return next;
}

/** Learns from every step of a run, in order. */
export function learnFromRun(
  current: ForecastCoefficients,
  steps: readonly StepUsage[],
  alpha = 0.2,
): ForecastCoefficients {
  return steps.reduce((c, s) => updateCoefficients(c, s, alpha), current);
}
