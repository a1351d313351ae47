import { z } from 'zod';
import type { Logger } from '../../services/logger';
import { BudgetExceededError, type BudgetStore } from '../budget/budget-store';
import { ERROR_TYPES } from '../shared/error-types';
import { failure, parseInput } from '../shared/failures';
import { currentInvocation, idempotencyKey, type Invocation } from '../shared/invocation';
import {
  costUsd,
  DEFAULT_PRICES,
  parsePriceTable,
  priceOf,
  unpricedModelMessage,
  type PriceTable,
} from '../../capsules/prices';
import { providerMissingMessage } from '../../capsules/slm-providers';
import { chooseModel, estimateTokens, ModelChoiceError, type ModelChoice } from './model-choice';
import type { RateLimiter } from './rate-limiter';
import type { SlmProvider, SlmResponse } from './types';

const modelRef = z.object({ provider: z.string().min(1), model: z.string().min(1) });

const toolCall = z.object({ id: z.string().min(1), name: z.string().min(1), arguments: z.unknown() });

const message = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: z.string() }),
  z.object({ role: z.literal('user'), content: z.string() }),
  z.object({ role: z.literal('assistant'), content: z.string(), toolCalls: z.array(toolCall).optional() }),
  z.object({
    role: z.literal('tool'),
    toolCallId: z.string().min(1),
    content: z.string(),
    isError: z.boolean().optional(),
  }),
]);

export const slmCompleteInputSchema = z
  .object({
    tenant: z.string().min(1),
    messages: z.array(message).min(1, { message: 'at least one message is required' }),
    tools: z
      .array(
        z.object({
          name: z.string().min(1),
          description: z.string(),
          parameters: z.record(z.string(), z.unknown()),
          strict: z.boolean().optional(),
        }),
      )
      .optional(),
    maxOutputTokens: z.number().int().positive().max(200_000).optional(),
    temperature: z.number().min(0).max(2).optional(),
    /** Use exactly this model; otherwise it is chosen from `preferences` and `purpose`. */
    model: modelRef.optional(),
    preferences: z
      .object({
        planning: modelRef.optional(),
        review: modelRef.optional(),
        summary: modelRef.optional(),
        implementation: modelRef.optional(),
        fallbacks: z.array(modelRef).optional(),
      })
      .optional(),
    purpose: z.enum(['planning', 'review', 'implementation', 'summary']).default('implementation'),
    /** The run's own cap (capsule guardrail `maxSpendUsd`) and what the run spent so far. */
    runBudget: z
      .object({ maxSpendUsd: z.number().nonnegative(), spentUsd: z.number().nonnegative() })
      .optional(),
  })
  .refine((input) => input.model || input.preferences, {
    message: 'set either model ({ provider, model }) or preferences',
    path: ['model'],
  });

export type SlmCompleteInput = z.input<typeof slmCompleteInputSchema>;

export interface SlmCompleteResult extends SlmResponse {
  /** Cost of this call at the price table's rates. */
  costUsd: number;
  choice: ModelChoice;
  /** The tenant's remaining budget after this call (null: no limit). */
  tenantRemainingUsd: number | null;
}

export interface SlmActivitiesDeps {
  /** By provider name (`openai`, `anthropic`, `local`, ...); see `createSlmProviders`. */
  providers: Record<string, SlmProvider>;
  budgets: BudgetStore;
  rateLimiter: RateLimiter;
  logger: Logger;
  /**
   * The whole price table (keys `provider/model` or `provider/*`); `createExecution` passes the
   * catalogue merged with a deployment's overrides.
   * @default DEFAULT_PRICES (capsules/prices.ts)
   */
  prices?: PriceTable;
  /** @default reads Temporal's activity context */
  invocation?: () => Invocation;
}

/**
 * SLM activities. `slmComplete` reserves budget from an estimate, respects the per-provider rate
 * limit, calls the model once (the client never retries; Temporal does), then charges the actual
 * usage and returns the normalized response.
 */
export function createSlmActivities({
  providers,
  budgets,
  rateLimiter,
  logger,
  prices: rawPrices = DEFAULT_PRICES,
  invocation = currentInvocation,
}: SlmActivitiesDeps) {
  const log = logger.child({ component: 'slm-activities' });
  const prices = parsePriceTable(rawPrices, 'createSlmActivities({ prices })');

  function choose(input: z.output<typeof slmCompleteInputSchema>, remainingUsd: number | null): ModelChoice {
    const estimate = estimateTokens(input);
    try {
      if (input.model) {
        const ref = `${input.model.provider}/${input.model.model}`;
        // A missing provider is the first thing to fix (and pricing it would not help).
        if (!providers[input.model.provider]) throw new ModelChoiceError(missingProvider(ref));
        const price = priceOf(prices, ref);
        if (!price) throw new ModelChoiceError(unpricedModelMessage(ref));
        return { ...input.model, estimatedCostUsd: costUsd(price, estimate), reason: 'preferred' };
      }
      return chooseModel({
        preferences: input.preferences ?? {},
        purpose: input.purpose,
        estimate,
        prices,
        remainingUsd,
      });
    } catch (err) {
      if (err instanceof ModelChoiceError)
        throw failure(ERROR_TYPES.SlmNotConfigured, err.message, { cause: err });
      throw err;
    }
  }

  function missingProvider(ref: string): string {
    return providerMissingMessage(ref, Object.keys(providers));
  }

  return {
    /** One model turn: answer text and/or tool calls, with usage and cost. */
    async slmComplete(rawInput: SlmCompleteInput): Promise<SlmCompleteResult> {
      const input = parseInput(slmCompleteInputSchema, rawInput, 'slmComplete');
      const inv = invocation();
      const tenantState = await budgets.state({ tenant: input.tenant });
      const runRemaining = input.runBudget
        ? Math.max(0, input.runBudget.maxSpendUsd - input.runBudget.spentUsd)
        : null;
      const remaining =
        tenantState.remainingUsd === null
          ? runRemaining
          : Math.min(tenantState.remainingUsd, runRemaining ?? Infinity);
      const choice = choose(input, remaining);
      const provider = providers[choice.provider];
      if (!provider) {
        throw failure(ERROR_TYPES.SlmNotConfigured, missingProvider(`${choice.provider}/${choice.model}`));
      }
      if (runRemaining !== null && choice.estimatedCostUsd > runRemaining) {
        throw failure(
          ERROR_TYPES.BudgetExceeded,
          `run budget exceeded: this call may cost $${choice.estimatedCostUsd.toFixed(6)}, the run has $${runRemaining.toFixed(6)} left`,
          {
            details: { scope: 'run', estimatedCostUsd: choice.estimatedCostUsd, remainingUsd: runRemaining },
          },
        );
      }

      // Per attempt: a failed attempt releases its hold, and an attempt that crashed after a
      // billed call must not hide the next attempt's (also billed) call behind an earlier commit.
      const reservationId = `${idempotencyKey(inv)}#${inv.attempt}`;
      try {
        await budgets.reserve({ tenant: input.tenant, reservationId, amountUsd: choice.estimatedCostUsd });
      } catch (err) {
        if (!(err instanceof BudgetExceededError)) throw err;
        throw failure(ERROR_TYPES.BudgetExceeded, err.message, {
          cause: err,
          details: {
            scope: 'tenant',
            estimatedCostUsd: choice.estimatedCostUsd,
            remainingUsd: err.state.remainingUsd,
          },
        });
      }

      let response: SlmResponse;
      try {
        const slot = await rateLimiter.acquire({ provider: provider.name });
        if (!slot.admitted) {
          throw failure(
            ERROR_TYPES.SlmRateLimited,
            `${provider.name}: local rate limit reached, retry in ${slot.retryAfterMs} ms`,
            {
              nextRetryDelay: slot.retryAfterMs,
              details: { provider: provider.name, retryAfterMs: slot.retryAfterMs, source: 'limiter' },
            },
          );
        }
        response = await provider.complete(
          {
            model: choice.model,
            messages: input.messages,
            tools: input.tools,
            maxOutputTokens: input.maxOutputTokens,
            temperature: input.temperature,
          },
          { signal: inv.signal },
        );
      } catch (err) {
        // Nothing was billed (or we cannot know the usage): give the hold back for the retry.
        await budgets
          .release({ tenant: input.tenant, reservationId })
          .catch((releaseErr: unknown) =>
            log.warn(
              { err: releaseErr, reservationId },
              'budget release failed; the reservation will expire',
            ),
          );
        throw err;
      }

      const price = priceOf(prices, `${choice.provider}/${choice.model}`) ?? {
        inputPerMTok: 0,
        outputPerMTok: 0,
      };
      const cost = costUsd(price, response.usage);
      const after = await budgets.commit({ tenant: input.tenant, reservationId, actualUsd: cost });
      log.debug(
        {
          provider: response.provider,
          model: response.model,
          usage: response.usage,
          costUsd: cost,
          reason: choice.reason,
        },
        'slm call completed',
      );
      return { ...response, costUsd: cost, choice, tenantRemainingUsd: after.remainingUsd };
    },
  };
}

export type SlmActivities = ReturnType<typeof createSlmActivities>;
