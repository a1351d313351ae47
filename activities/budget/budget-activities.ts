import { z } from 'zod';
import { parseInput } from '../shared/failures';
import type { BudgetState, BudgetStore } from './budget-store';

export const getBudgetInputSchema = z.object({ tenant: z.string().min(1) });
export type GetBudgetInput = z.input<typeof getBudgetInputSchema>;

/** Budget activities: workflows read the tenant's budget for status queries and forecasts. */
export function createBudgetActivities({ budgets }: { budgets: BudgetStore }) {
  return {
    async getBudget(rawInput: GetBudgetInput): Promise<BudgetState> {
      const { tenant } = parseInput(getBudgetInputSchema, rawInput, 'getBudget');
      return budgets.state({ tenant });
    },
  };
}

export type BudgetActivities = ReturnType<typeof createBudgetActivities>;
