/**
 * Model prices in USD per million tokens, as published by the providers (list prices, checked
 * 2026-11; override per deployment through `forecastPlan({ prices })`). `provider/*` entries
 * match any model of that provider, e.g. self-hosted models that cost nothing per token.
 * Sandbox-safe (data).
 */
export interface ModelPrice {
  inputPerMTok: number;
  outputPerMTok: number;
}

export type PriceTable = Readonly<Record<string, ModelPrice>>;

export const DEFAULT_PRICES: PriceTable = {
  'openai/gpt-4.1': { inputPerMTok: 2, outputPerMTok: 8 },
  'openai/gpt-4.1-mini': { inputPerMTok: 0.4, outputPerMTok: 1.6 },
  'openai/gpt-4.1-nano': { inputPerMTok: 0.1, outputPerMTok: 0.4 },
  'openai/gpt-4o': { inputPerMTok: 2.5, outputPerMTok: 10 },
  'openai/gpt-4o-mini': { inputPerMTok: 0.15, outputPerMTok: 0.6 },
  'anthropic/claude-opus-4-1': { inputPerMTok: 15, outputPerMTok: 75 },
  'anthropic/claude-sonnet-4-5': { inputPerMTok: 3, outputPerMTok: 15 },
  'anthropic/claude-haiku-4-5': { inputPerMTok: 1, outputPerMTok: 5 },
  'ollama/*': { inputPerMTok: 0, outputPerMTok: 0 },
  'vllm/*': { inputPerMTok: 0, outputPerMTok: 0 },
};

/** Price of `provider/model`, falling back to `provider/*`; undefined when unknown. */
export function priceOf(table: PriceTable, model: string): ModelPrice | undefined {
  return table[model] ?? table[`${model.split('/')[0]}/*`];
}
