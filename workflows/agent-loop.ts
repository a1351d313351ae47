import type { BudgetAmount, BudgetLimits } from './budget-ledger';

/**
 * Decisions of the persona's agent loop that do not need I/O: whether to call the model again,
 * stop, or continue-as-new; and how to split the model's tool calls into a final answer,
 * delegations (child workflows) and activities, enforcing the persona's tool rights before the
 * gate ever sees a call. Pure; sandbox-safe.
 */

/** Tool ids the workflow handles itself instead of running an activity. */
export const FINISH_TOOL = 'finish';
export const DELEGATE_TOOL = 'delegate';

export interface TurnInput {
  /** Turns run so far, across continue-as-new. */
  turns: number;
  /** Turns run in this execution (resets at continue-as-new). */
  turnsThisExecution: number;
  maxTurns: number;
  /** Continue-as-new after this many turns in one execution. */
  continueAsNewAfter: number;
  /** `workflowInfo().continueAsNewSuggested`: the server finds the history large. */
  continueAsNewSuggested?: boolean;
  /** A final answer was given. */
  finished: boolean;
  cancelled: boolean;
  /** What the run has left and what the next model call is forecast to cost. */
  remaining: BudgetLimits;
  nextCallEstimate: BudgetAmount;
}

export type TurnDecision =
  | { kind: 'call_model' }
  | { kind: 'continue_as_new' }
  | { kind: 'stop'; status: 'final' | 'max_turns' | 'budget_exhausted' | 'cancelled'; reason: string };

/** What the loop does next. Order matters: cancel, answer, turn limit, budget, then history size. */
export function decideNextTurn(input: TurnInput): TurnDecision {
  if (input.cancelled) return { kind: 'stop', status: 'cancelled', reason: 'cancelled by signal' };
  if (input.finished) return { kind: 'stop', status: 'final', reason: 'final answer given' };
  if (input.turns >= input.maxTurns) {
    return { kind: 'stop', status: 'max_turns', reason: `turn limit reached (${input.maxTurns})` };
  }
  const { remaining, nextCallEstimate } = input;
  if (remaining.tokens !== null && nextCallEstimate.tokens > remaining.tokens) {
    return {
      kind: 'stop',
      status: 'budget_exhausted',
      reason: `next call needs ~${nextCallEstimate.tokens} tokens, ${remaining.tokens} left`,
    };
  }
  if (remaining.usd !== null && nextCallEstimate.usd > remaining.usd + 1e-9) {
    return {
      kind: 'stop',
      status: 'budget_exhausted',
      reason: `next call needs ~$${nextCallEstimate.usd}, $${remaining.usd} left`,
    };
  }
  if (input.turnsThisExecution >= input.continueAsNewAfter || input.continueAsNewSuggested === true) {
    return { kind: 'continue_as_new' };
  }
  return { kind: 'call_model' };
}

/** A tool call as the SLM activity returns it. */
export interface ToolCall {
  id: string;
  tool: string;
  args: unknown;
}

export interface TriagedToolCalls {
  /** The `finish` call, if the model gave one (the first wins). */
  finish?: ToolCall;
  /** `delegate` calls, in order. */
  delegations: ToolCall[];
  /** Calls to run as activities, in order. */
  activities: ToolCall[];
  /** Calls refused because the persona lacks the tool right; report them back to the model. */
  refused: Array<ToolCall & { reason: string }>;
}

/**
 * Splits a turn's tool calls. A tool outside `allowedTools` is refused (the model is told why
 * and may try something else); `delegate` needs the right like any tool, `finish` is always
 * allowed because ending the loop has no side effect.
 */
export function triageToolCalls(
  calls: readonly ToolCall[],
  allowedTools: readonly string[],
): TriagedToolCalls {
  const allowed = new Set(allowedTools);
  const result: TriagedToolCalls = { delegations: [], activities: [], refused: [] };
  for (const call of calls) {
    if (call.tool !== FINISH_TOOL && !allowed.has(call.tool)) {
      result.refused.push({ ...call, reason: `tool "${call.tool}" is not available to this persona` });
    } else if (call.tool === FINISH_TOOL) {
      result.finish ??= call;
    } else if (call.tool === DELEGATE_TOOL) {
      result.delegations.push(call);
    } else {
      result.activities.push(call);
    }
  }
  return result;
}
