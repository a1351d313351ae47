import { costUsd, priceOf, unpricedModelMessage, type PriceTable } from '../../capsules/prices';
import { DEFAULT_MAX_OUTPUT_TOKENS, type SlmRequest } from './types';

export interface ModelRef {
  provider: string;
  model: string;
}

/** What a call is for: planning and review favour cheap models, implementation strong ones. */
export type ModelPurpose = 'planning' | 'review' | 'implementation' | 'summary';

/**
 * A persona's model preferences. Purposes without an entry fall back: review and summary to
 * planning, then to the cheapest listed model; implementation to the priciest (strongest).
 * `fallbacks` are extra, usually cheaper, models to downgrade to when the budget runs low.
 */
export interface ModelPreferences {
  planning?: ModelRef;
  review?: ModelRef;
  summary?: ModelRef;
  implementation?: ModelRef;
  fallbacks?: ModelRef[];
}

export interface ModelChoice extends ModelRef {
  estimatedCostUsd: number;
  /** preferred: the persona's pick; downgraded: a cheaper one because the budget is low. */
  reason: 'preferred' | 'downgraded';
}

export class ModelChoiceError extends Error {
  override readonly name = 'ModelChoiceError';
}

/** Upper-bound token estimate (≈3 characters per token, plus per-message framing). */
export function estimateTokens(request: Pick<SlmRequest, 'messages' | 'tools' | 'maxOutputTokens'>): {
  inputTokens: number;
  outputTokens: number;
} {
  let chars = 0;
  for (const message of request.messages) {
    chars += message.content.length + 12;
    if (message.role === 'assistant' && message.toolCalls) chars += JSON.stringify(message.toolCalls).length;
  }
  if (request.tools?.length) chars += JSON.stringify(request.tools).length;
  return {
    inputTokens: Math.ceil(chars / 3),
    outputTokens: request.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS,
  };
}

export interface ChooseModelInput {
  preferences: ModelPreferences;
  purpose: ModelPurpose;
  estimate: { inputTokens: number; outputTokens: number };
  prices: PriceTable;
  /** Budget left for this call's scope (tenant and run); null means unlimited. */
  remainingUsd: number | null;
  /**
   * Largest share of the remaining budget one call may take before we downgrade.
   * @default 0.25
   */
  maxShareOfRemaining?: number;
}

function uniqueRefs(refs: (ModelRef | undefined)[]): ModelRef[] {
  const seen = new Set<string>();
  return refs.filter((r): r is ModelRef => {
    if (!r || seen.has(`${r.provider}/${r.model}`)) return false;
    seen.add(`${r.provider}/${r.model}`);
    return true;
  });
}

/**
 * Picks the model for one call: the persona's preference for the purpose, downgraded to the
 * strongest cheaper candidate whose estimated cost stays within `maxShareOfRemaining` of the
 * budget, or to the cheapest one when none does. (Whether even that fits is the budget
 * reservation's call, which fails with BudgetExceeded.)
 */
export function chooseModel({
  preferences,
  purpose,
  estimate,
  prices,
  remainingUsd,
  maxShareOfRemaining = 0.25,
}: ChooseModelInput): ModelChoice {
  const candidates = uniqueRefs([
    preferences.planning,
    preferences.review,
    preferences.summary,
    preferences.implementation,
    ...(preferences.fallbacks ?? []),
  ]).map((ref) => {
    const price = priceOf(prices, `${ref.provider}/${ref.model}`);
    if (!price) throw new ModelChoiceError(unpricedModelMessage(`${ref.provider}/${ref.model}`));
    return { ...ref, estimatedCostUsd: costUsd(price, estimate) };
  });
  if (candidates.length === 0) {
    throw new ModelChoiceError(
      'preferences list no model: set at least preferences.planning or .implementation',
    );
  }
  // Cheapest first; ties keep the persona's order.
  const byCost = [...candidates].sort((a, b) => a.estimatedCostUsd - b.estimatedCostUsd);
  const find = (ref: ModelRef | undefined) =>
    ref && candidates.find((c) => c.provider === ref.provider && c.model === ref.model);
  const preferred =
    purpose === 'implementation'
      ? (find(preferences.implementation) ?? byCost[byCost.length - 1]!)
      : (find(preferences[purpose]) ?? find(preferences.planning) ?? byCost[0]!);

  const cap = remainingUsd === null ? Infinity : remainingUsd * maxShareOfRemaining;
  if (preferred.estimatedCostUsd <= cap) return { ...preferred, reason: 'preferred' };
  const affordable = byCost.filter(
    (c) => c.estimatedCostUsd <= cap && c.estimatedCostUsd < preferred.estimatedCostUsd,
  );
  const pick = affordable[affordable.length - 1] ?? byCost[0]!;
  if (pick === preferred) return { ...preferred, reason: 'preferred' };
  return { ...pick, reason: 'downgraded' };
}
