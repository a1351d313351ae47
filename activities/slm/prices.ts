/** USD per million tokens. */
export interface ModelPrice {
  inputPerMTok: number;
  outputPerMTok: number;
}

/**
 * Keyed by `provider/model`, `provider/*` (every model of a provider, e.g. a local server) or a
 * bare model name. List prices as published by the vendors when this table was written;
 * deployments override them through `createSlmActivities({ prices })`.
 */
export type PriceTable = Record<string, ModelPrice>;

export const DEFAULT_PRICES: PriceTable = {
  'gpt-4o-mini': { inputPerMTok: 0.15, outputPerMTok: 0.6 },
  'gpt-4o': { inputPerMTok: 2.5, outputPerMTok: 10 },
  'gpt-4.1-nano': { inputPerMTok: 0.1, outputPerMTok: 0.4 },
  'gpt-4.1-mini': { inputPerMTok: 0.4, outputPerMTok: 1.6 },
  'gpt-4.1': { inputPerMTok: 2, outputPerMTok: 8 },
  'claude-3-5-haiku-latest': { inputPerMTok: 0.8, outputPerMTok: 4 },
  'claude-haiku-4-5': { inputPerMTok: 1, outputPerMTok: 5 },
  'claude-sonnet-4-6': { inputPerMTok: 3, outputPerMTok: 15 },
  'claude-opus-4-1': { inputPerMTok: 15, outputPerMTok: 75 },
  // Self-hosted OpenAI-compatible servers cost nothing per token.
  'local/*': { inputPerMTok: 0, outputPerMTok: 0 },
};

/** The price of `provider/model`, else `provider/*`, else the bare model; undefined if none. */
export function priceOf(prices: PriceTable, provider: string, model: string): ModelPrice | undefined {
  return prices[`${provider}/${model}`] ?? prices[`${provider}/*`] ?? prices[model];
}

export function costUsd(price: ModelPrice, usage: { inputTokens: number; outputTokens: number }): number {
  return (usage.inputTokens * price.inputPerMTok + usage.outputTokens * price.outputPerMTok) / 1_000_000;
}
