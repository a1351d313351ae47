import { chooseModel, estimateTokens, ModelChoiceError } from '../../../activities/slm/model-choice';
import { DEFAULT_PRICES, priceOf, costUsd } from '../../../capsules/prices';

const cheap = { provider: 'openai', model: 'gpt-4o-mini' };
const strong = { provider: 'anthropic', model: 'claude-sonnet-4-6' };
const mid = { provider: 'openai', model: 'gpt-4.1-mini' };
const estimate = { inputTokens: 10_000, outputTokens: 2_000 };
// costs: cheap 0.0027, mid 0.0072, strong 0.06

describe('cost-aware model choice', () => {
  const preferences = { planning: cheap, implementation: strong, fallbacks: [mid] };

  it('uses the cheap model for planning and review, the strong one for implementation', () => {
    const base = { preferences, estimate, prices: DEFAULT_PRICES, remainingUsd: null };
    expect(chooseModel({ ...base, purpose: 'planning' })).toMatchObject({ ...cheap, reason: 'preferred' });
    expect(chooseModel({ ...base, purpose: 'review' })).toMatchObject({ ...cheap, reason: 'preferred' });
    expect(chooseModel({ ...base, purpose: 'implementation' })).toMatchObject({
      ...strong,
      reason: 'preferred',
    });
  });

  it('estimates cost from the price table', () => {
    const choice = chooseModel({
      preferences,
      estimate,
      prices: DEFAULT_PRICES,
      remainingUsd: 100,
      purpose: 'implementation',
    });
    expect(choice.estimatedCostUsd).toBeCloseTo((10_000 * 3 + 2_000 * 15) / 1e6);
  });

  it('downgrades to the strongest affordable model when the budget is low', () => {
    // 25% of 0.04 = 0.01: strong (0.06) is too dear, mid (0.0072) fits.
    expect(
      chooseModel({
        preferences,
        estimate,
        prices: DEFAULT_PRICES,
        remainingUsd: 0.04,
        purpose: 'implementation',
      }),
    ).toMatchObject({ ...mid, reason: 'downgraded' });
    // 25% of 0.012 = 0.003: only cheap fits.
    expect(
      chooseModel({
        preferences,
        estimate,
        prices: DEFAULT_PRICES,
        remainingUsd: 0.012,
        purpose: 'implementation',
      }),
    ).toMatchObject({ ...cheap, reason: 'downgraded' });
  });

  it('falls back to the cheapest when nothing is within the share (the reservation decides)', () => {
    expect(
      chooseModel({
        preferences,
        estimate,
        prices: DEFAULT_PRICES,
        remainingUsd: 0.001,
        purpose: 'implementation',
      }),
    ).toMatchObject({ ...cheap, reason: 'downgraded' });
  });

  it('without a purpose-specific preference picks cheapest for planning and priciest for implementation', () => {
    const only = { fallbacks: [strong, cheap, mid] };
    const base = { preferences: only, estimate, prices: DEFAULT_PRICES, remainingUsd: null };
    expect(chooseModel({ ...base, purpose: 'planning' })).toMatchObject(cheap);
    expect(chooseModel({ ...base, purpose: 'implementation' })).toMatchObject(strong);
  });

  it('names the missing price key, and demands at least one model', () => {
    const unknown = { provider: 'openai', model: 'gpt-nope' };
    expect(() =>
      chooseModel({
        preferences: { planning: unknown },
        estimate,
        prices: DEFAULT_PRICES,
        remainingUsd: null,
        purpose: 'planning',
      }),
    ).toThrow(/openai\/gpt-nope/);
    expect(() =>
      chooseModel({
        preferences: {},
        estimate,
        prices: DEFAULT_PRICES,
        remainingUsd: null,
        purpose: 'planning',
      }),
    ).toThrow(ModelChoiceError);
  });

  it('prices local models at zero and looks up provider-specific keys first', () => {
    expect(costUsd(priceOf(DEFAULT_PRICES, 'local/llama3.2:3b')!, estimate)).toBe(0);
    const prices = { ...DEFAULT_PRICES, 'azure/gpt-4o': { inputPerMTok: 5, outputPerMTok: 20 } };
    expect(priceOf(prices, 'azure/gpt-4o')!.inputPerMTok).toBe(5);
    expect(priceOf(prices, 'openai/gpt-4o')!.inputPerMTok).toBe(2.5);
    // A bare model name is no key: the same name at another provider must not borrow its price.
    expect(priceOf(prices, 'other/gpt-4o')).toBeUndefined();
  });

  it('estimates input tokens from message and tool size, output from the cap', () => {
    const small = estimateTokens({ messages: [{ role: 'user', content: 'hi' }] });
    const big = estimateTokens({
      messages: [{ role: 'user', content: 'x'.repeat(3000) }],
      tools: [{ name: 't', description: 'd', parameters: {} }],
      maxOutputTokens: 77,
    });
    expect(small.outputTokens).toBe(1024);
    expect(big.outputTokens).toBe(77);
    expect(big.inputTokens).toBeGreaterThanOrEqual(1000);
    expect(big.inputTokens).toBeGreaterThan(small.inputTokens);
  });
});
