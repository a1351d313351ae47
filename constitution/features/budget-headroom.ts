import { z } from 'zod';
import { clamp01, defineFeature } from './types';
import type { ActionDescriptor } from '../descriptor';

/** The binding spend limit: the smaller of the run's budget and the capsule's `maxSpendUsd`. */
export function effectiveLimitUsd(x: ActionDescriptor): number | null {
  const guard = x.capsule?.guardrails.maxSpendUsd;
  const limit = x.budget.limitUsd;
  if (guard === undefined) return limit;
  return limit === null ? guard : Math.min(limit, guard);
}

/** φ = remaining fraction of the budget, 1 − spent/limit (no limit → `noLimit`). */
export const budgetHeadroom = defineFeature({
  kind: 'budgetHeadroom',
  description:
    'Budget headroom 1 − spent/limit, with limit = min(budget, guardrails.maxSpendUsd); no limit → `noLimit`, exhausted → 0.',
  params: z.strictObject({ noLimit: z.number().min(0).max(1).default(1) }),
  maxPhi: () => 1,
  create: (p) => (x) => {
    const limit = effectiveLimitUsd(x);
    if (limit === null) return clamp01(p.noLimit);
    if (limit <= 0) return 0;
    return clamp01(1 - x.budget.spentUsd / limit);
  },
});
