import { compileCapsule } from '../../../capsules/compiler';
import { parseCapsule, parsePersona } from '../../../capsules/parse';
import { createMemoryResolver } from '../../../capsules/resolver';
import { forecastPlan } from '../../../capsules/forecast';
import {
  defaultCoefficients,
  ewUpdate,
  updateCoefficients,
  type ForecastCoefficients,
} from '../../../capsules/coefficients';
import { countTokens } from '../../../capsules/tokenizer';
import type { CapsulePlan } from '../../../capsules/plan';

const PERSONA = `
id: worker
version: 1.0.0
name: Worker
description: does work
systemPrompt: one two three four five six seven eight nine ten
model: { planning: test/cheap, implementation: test/strong }
tools: [workspace.read, http.request, finish]
`;

const CAPSULE = `
id: demo.forecast
version: 1.0.0
title: Forecast demo
description: d
type: atomic
intent: i
deliverable: { description: d, format: text }
personas: { w: worker@^1 }
tools: [workspace.read, http.request]
guardrails: { allowedHosts: [api.example.com] }
budget: { tokens: 5000, costUsd: 1, wallTime: 1h, approvalLimitUsd: 0.001 }
steps:
  - id: a
    persona: w
    task: research
    instruction: alpha beta
    tools: [workspace.read, http.request]
    expectedToolCalls: { http.request: 3 }
  - id: b
    persona: w
    task: summary
    modelTier: planning
    instruction: gamma
    dependsOn: [a]
`;

/** Hand-checkable coefficients: round numbers, small variances. */
function coefficients(): ForecastCoefficients {
  const c = defaultCoefficients();
  const k = (mean: number, variance: number) => ({ mean, variance, samples: 1 });
  c.baseline.research = k(1000, 100 ** 2);
  c.baseline.summary = k(400, 30 ** 2);
  c.tools['workspace.read'] = k(200, 20 ** 2);
  c.tools['http.request'] = k(300, 50 ** 2);
  c.personas.worker = k(50, 10 ** 2);
  c.outputShare = 0.25;
  return c;
}

// Whitespace word count stands in for the tokenizer so the numbers can be checked by hand.
const words = (text: string) => text.split(/\s+/).filter(Boolean).length;

async function plan(): Promise<CapsulePlan> {
  const persona = parsePersona(PERSONA, { file: 'p.yaml' });
  const capsule = parseCapsule(CAPSULE, { file: 'c.yaml' });
  const resolver = createMemoryResolver({ personas: [{ value: persona.value!, source: persona.source }] });
  const result = await compileCapsule(capsule.value!, { resolver, source: capsule.source });
  expect(result.diagnostics).toEqual([]);
  return result.plan!;
}

describe('forecastPlan', () => {
  it('applies tokens = prompt + baseline + Σ coeff × calls + persona, per step and in total', async () => {
    const f = forecastPlan(await plan(), {
      coefficients: coefficients(),
      countTokens: words,
      confidence: 0.95,
      prices: {
        'test/strong': { inputPerMTok: 4, outputPerMTok: 20 },
        'test/cheap': { inputPerMTok: 1, outputPerMTok: 2 },
      },
    });
    const [a, b] = f.steps;
    // Step a: prompt 10 + 2 words = 12; 1000 + 1×200 + 3×300 + 50 = 2150 → 2162.
    expect(a!.promptTokens).toBe(12);
    expect(a!.components).toEqual({
      prompt: 12,
      baseline: 1000,
      tools: { 'workspace.read': 200, 'http.request': 900 },
      persona: 50,
    });
    expect(a!.tokens.mean).toBe(2162);
    // Variance: 100² + 1²×20² + 3²×50² + 10² = 10000 + 400 + 22500 + 100 = 33000.
    expect(a!.variance).toBe(33_000);
    expect(a!.tokens.high).toBeCloseTo(2162 + 1.96 * Math.sqrt(33_000), 6);
    // Price per token at 25% output: 0.75×4 + 0.25×20 = 8 USD/MTok.
    expect(a!.costUsd.mean).toBeCloseTo((2162 * 8) / 1e6, 12);
    // Step b: prompt 11, 400 + 50 → 461 on the cheap model (0.75×1 + 0.25×2 = 1.25 USD/MTok).
    expect(b!.tokens.mean).toBe(461);
    expect(b!.model).toBe('test/cheap');
    expect(b!.costUsd.mean).toBeCloseTo((461 * 1.25) / 1e6, 12);
    expect(b!.variance).toBe(30 ** 2 + 10 ** 2);

    expect(f.tokens.mean).toBe(2623);
    expect(f.variance).toBe(33_000 + 1000);
    expect(f.tokens.low).toBeCloseTo(2623 - 1.96 * Math.sqrt(34_000), 6);
    expect(f.costUsd.mean).toBeCloseTo((2162 * 8 + 461 * 1.25) / 1e6, 12);
    expect(f.budget.withinBudget).toBe(true);
    expect(f.budget.needsApproval).toBe(true); // approval limit is 0.001 USD
    expect(f.unknownModels).toEqual([]);
  });

  it('never forecasts below the measured prompt and reports unpriced models', async () => {
    const c = coefficients();
    c.baseline.research = { mean: 10, variance: 1e8, samples: 1 };
    const f = forecastPlan(await plan(), { coefficients: c, countTokens: words, prices: {} });
    expect(f.steps[0]!.tokens.low).toBe(12);
    expect(f.unknownModels).toEqual(['test/cheap', 'test/strong']);
    expect(f.costUsd.mean).toBe(0);
  });

  it('measures prompts with the o200k tokenizer by default', () => {
    expect(countTokens('hello world')).toBe(2);
    expect(countTokens('')).toBe(0);
  });
});

describe('learning coefficients', () => {
  it('updates an exponentially weighted mean and variance', () => {
    // mean 100, var 0, x = 200, α = 0.5: diff 100, incr 50 → mean 150, var 0.5 × (0 + 100 × 50) = 2500.
    expect(ewUpdate({ mean: 100, variance: 0, samples: 0 }, 200, 0.5)).toEqual({
      mean: 150,
      variance: 2500,
      samples: 1,
    });
  });

  it('splits a step’s actual tokens over its terms in proportion to the prediction', () => {
    const c = coefficients();
    // Predicted beyond prompt: 1000 + 50 + 3×300 = 1950; actual 3900 + 12 prompt → scale 2.
    const next = updateCoefficients(
      c,
      {
        task: 'research',
        personaId: 'worker',
        promptTokens: 12,
        totalTokens: 3912,
        toolCalls: { 'http.request': 3 },
        outputTokens: 978,
      },
      0.5,
    );
    expect(next.baseline.research).toEqual(ewUpdate(c.baseline.research, 2000, 0.5));
    expect(next.baseline.research.mean).toBe(1500);
    expect(next.tools['http.request']!.mean).toBe(450);
    expect(next.personas.worker!.mean).toBe(75);
    expect(next.tools['workspace.read']).toEqual(c.tools['workspace.read']); // not called: unchanged
    expect(next.outputShare).toBeCloseTo(0.25 + 0.5 * (978 / 3912 - 0.25), 12);
    // The input is not mutated.
    expect(c.baseline.research.mean).toBe(1000);
  });

  it('moves the forecast towards recorded actuals over repeated runs', async () => {
    const p = await plan();
    let c = coefficients();
    const before = forecastPlan(p, { coefficients: c, countTokens: words }).steps[0]!.tokens.mean;
    for (let i = 0; i < 30; i++) {
      c = updateCoefficients(c, {
        task: 'research',
        personaId: 'worker',
        promptTokens: 12,
        totalTokens: 6012,
        toolCalls: { 'workspace.read': 1, 'http.request': 3 },
      });
    }
    const after = forecastPlan(p, { coefficients: c, countTokens: words }).steps[0]!.tokens.mean;
    expect(before).toBe(2162);
    expect(after).toBeCloseTo(6012, -1);
  });
});
