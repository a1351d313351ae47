import { z } from 'zod';

/**
 * The one model price catalogue: the forecast (`forecastPlan`), the persona workflow's ledger
 * estimates and the SLM activities (`createSlmActivities`) all price calls from it, so a model
 * the forecast prices is a model the run can price. Keys are `provider/model` as personas write
 * them (`openai/gpt-4.1-mini`), or `provider/*` for every model of a provider (self-hosted models
 * that cost nothing per token). Prices are USD per million tokens, list prices as published by
 * the providers (checked 2026-11); deployments override or extend them through
 * `createSlmActivities({ prices })` / `createExecution({ prices })` and `forecastPlan({ prices })`.
 * Sandbox-safe (data and zod).
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
  'anthropic/claude-sonnet-4-6': { inputPerMTok: 3, outputPerMTok: 15 },
  'anthropic/claude-sonnet-4-5': { inputPerMTok: 3, outputPerMTok: 15 },
  'anthropic/claude-haiku-4-5': { inputPerMTok: 1, outputPerMTok: 5 },
  'anthropic/claude-3-5-haiku-latest': { inputPerMTok: 0.8, outputPerMTok: 4 },
  // The `local` provider: a self-hosted OpenAI-compatible server (LOCAL_SLM_BASE_URL).
  'local/*': { inputPerMTok: 0, outputPerMTok: 0 },
};

/** Price of `provider/model`, falling back to `provider/*`; undefined when unknown. */
export function priceOf(table: PriceTable, model: string): ModelPrice | undefined {
  return table[model] ?? table[`${model.split('/')[0]}/*`];
}

/** USD cost of a call's token usage at `price`. */
export function costUsd(price: ModelPrice, usage: { inputTokens: number; outputTokens: number }): number {
  return (usage.inputTokens * price.inputPerMTok + usage.outputTokens * price.outputPerMTok) / 1_000_000;
}

/** Why calls to `model` are refused when the catalogue lacks it, and where to add it. */
export function unpricedModelMessage(model: string): string {
  return (
    `model ${model} has no price, so its calls are refused: add "${model}" to the price catalogue ` +
    `(capsules/prices.ts, or a deployment's createExecution({ prices })) or pick a priced model`
  );
}

const PRICE_KEY = /^[a-z0-9][a-z0-9_-]*\/(\*|[A-Za-z0-9][\w.:-]*)$/;
const perMTok = z.number().nonnegative({ message: 'expected USD per million tokens (≥ 0)' });

/** A price table from outside the code (a deployment's overrides): keys and amounts checked. */
export const priceTableSchema = z
  .record(z.string(), z.strictObject({ inputPerMTok: perMTok, outputPerMTok: perMTok }))
  .superRefine((table, ctx) => {
    // Checked here rather than as the record's key schema so the issue's path names the key.
    for (const key of Object.keys(table)) {
      if (!PRICE_KEY.test(key)) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: 'a price key is "provider/model" (e.g. "openai/gpt-4o-mini") or "provider/*"',
        });
      }
    }
  });

/**
 * Checks a price table handed in by a deployment. Keys that are not `provider/model` (a bare
 * `gpt-4o-mini`, as an older table allowed) would never match a lookup and silently leave the
 * default price in force, so they are refused here with the key and the fix.
 * @param what names the table in the error, e.g. `createSlmActivities({ prices })`
 */
export function parsePriceTable(table: unknown, what: string): PriceTable {
  const parsed = priceTableSchema.safeParse(table);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const key = issue.path[0];
    const field = issue.path.slice(1).join('.');
    return `${key === undefined ? '(table)' : JSON.stringify(key)}${field ? `.${field}` : ''}: ${issue.message}`;
  });
  throw new Error(`${what}: invalid price table: ${problems.join('; ')}`);
}
