import { ApplicationFailure } from '@temporalio/common';
import { WORKFLOW_ERROR_TYPES } from './shared/errors';
import type { Usage } from './shared/types';

/**
 * Per-run budget bookkeeping kept in workflow state: reserve before an SLM call (or a child's
 * allotment), reconcile with the usage the activity reports, release on failure, and roll child
 * spend up into the parent. Redis holds the tenant-wide budget; this ledger is what the run
 * itself knows, replay-safe and carried across continue-as-new via {@link BudgetLedger.snapshot}.
 * Pure; sandbox-safe.
 */

/** Tokens and USD; null limits mean unlimited. */
export interface BudgetLimits {
  tokens: number | null;
  usd: number | null;
}

/** An amount of tokens and USD. */
export interface BudgetAmount {
  tokens: number;
  usd: number;
}

/** Plain-JSON state of a ledger. */
export interface BudgetLedgerSnapshot {
  limits: BudgetLimits;
  /** This workflow's own calls. */
  own: Usage;
  /** Latest cumulative usage each child reported, by child workflow id. */
  children: Record<string, Usage>;
  /** Open reservations by id, in the order they were made. */
  reservations: Array<{ id: string } & BudgetAmount>;
}

export type ReserveResult =
  { ok: true } | { ok: false; reason: string; /** What is left right now. */ available: BudgetLimits };

const ZERO_USAGE: Usage = Object.freeze({ inputTokens: 0, outputTokens: 0, costUsd: 0 });

export class BudgetLedger {
  private readonly limits: BudgetLimits;
  private own: Usage;
  private readonly children = new Map<string, Usage>();
  private readonly reservations = new Map<string, BudgetAmount>();

  constructor(limits: BudgetLimits) {
    for (const key of ['tokens', 'usd'] as const) {
      const value = limits[key];
      if (value !== null && !(Number.isFinite(value) && value >= 0)) {
        throw new RangeError(`budget limit ${key} must be a number ≥ 0 or null, got ${String(value)}`);
      }
    }
    this.limits = { ...limits };
    this.own = { ...ZERO_USAGE };
  }

  /** Rebuilds a ledger from {@link snapshot} (after continue-as-new). */
  static restore(snapshot: BudgetLedgerSnapshot): BudgetLedger {
    const ledger = new BudgetLedger(snapshot.limits);
    ledger.own = { ...snapshot.own };
    for (const [id, usage] of Object.entries(snapshot.children)) ledger.children.set(id, { ...usage });
    for (const { id, tokens, usd } of snapshot.reservations) ledger.reservations.set(id, { tokens, usd });
    return ledger;
  }

  /**
   * Holds `estimate` under `id` if it fits in what is left (limit − spent − reserved). Does not
   * throw: on `ok: false` nothing is held. Reusing an open id is a programming error.
   */
  reserve(id: string, estimate: BudgetAmount): ReserveResult {
    if (this.reservations.has(id)) throw new Error(`reservation "${id}" is already open`);
    if (!(estimate.tokens >= 0 && estimate.usd >= 0)) {
      throw new RangeError(
        `reservation "${id}" must be ≥ 0, got ${estimate.tokens} tokens, ${estimate.usd} USD`,
      );
    }
    const available = this.remaining();
    const short: string[] = [];
    if (available.tokens !== null && estimate.tokens > available.tokens) {
      short.push(`${estimate.tokens} tokens needed, ${available.tokens} left of ${this.limits.tokens}`);
    }
    if (available.usd !== null && estimate.usd > available.usd + USD_EPSILON) {
      short.push(
        `$${formatUsd(estimate.usd)} needed, $${formatUsd(available.usd)} left of $${formatUsd(this.limits.usd!)}`,
      );
    }
    if (short.length > 0) return { ok: false, reason: `budget exceeded: ${short.join('; ')}`, available };
    this.reservations.set(id, { ...estimate });
    return { ok: true };
  }

  /** {@link reserve}, throwing a non-retryable `BudgetExceeded` failure when it does not fit. */
  reserveOrThrow(id: string, estimate: BudgetAmount): void {
    const result = this.reserve(id, estimate);
    if (!result.ok) {
      throw ApplicationFailure.create({
        type: WORKFLOW_ERROR_TYPES.BudgetExceeded,
        message: result.reason,
        nonRetryable: true,
        details: [{ requested: estimate, available: result.available }],
      });
    }
  }

  /**
   * Closes reservation `id` and books the usage the activity reported. Actual usage is booked
   * even when it exceeds the estimate (it was spent); later reservations see the overrun.
   */
  reconcile(id: string, actual: Usage): void {
    this.requireReservation(id);
    this.reservations.delete(id);
    this.own = addUsage(this.own, actual);
  }

  /** Closes reservation `id` without spending (the call failed before using anything). */
  release(id: string): void {
    this.requireReservation(id);
    this.reservations.delete(id);
  }

  /**
   * Records a child's cumulative usage (replacing what it reported before, so repeated reports do
   * not double count) and closes the reservation of the same id if one is open.
   */
  rollUp(childId: string, childTotal: Usage): void {
    this.children.set(childId, { ...childTotal });
    this.reservations.delete(childId);
  }

  /** What this workflow and its children have spent. */
  spent(): Usage {
    let total = this.own;
    for (const usage of this.children.values()) total = addUsage(total, usage);
    return total;
  }

  /** Tokens and USD currently held by open reservations. */
  reserved(): BudgetAmount {
    let tokens = 0;
    let usd = 0;
    for (const amount of this.reservations.values()) {
      tokens += amount.tokens;
      usd += amount.usd;
    }
    return { tokens, usd: roundUsd(usd) };
  }

  /** Limit − spent − reserved, never below 0; null for unlimited. */
  remaining(): BudgetLimits {
    const spent = this.spent();
    const reserved = this.reserved();
    return {
      tokens:
        this.limits.tokens === null
          ? null
          : Math.max(0, this.limits.tokens - spent.inputTokens - spent.outputTokens - reserved.tokens),
      usd:
        this.limits.usd === null
          ? null
          : Math.max(0, roundUsd(this.limits.usd - spent.costUsd - reserved.usd)),
    };
  }

  /** The limits the ledger enforces. */
  getLimits(): BudgetLimits {
    return { ...this.limits };
  }

  /** Plain-JSON state for queries and continue-as-new. */
  snapshot(): BudgetLedgerSnapshot {
    return {
      limits: { ...this.limits },
      own: { ...this.own },
      children: Object.fromEntries([...this.children].map(([id, usage]) => [id, { ...usage }])),
      reservations: [...this.reservations].map(([id, amount]) => ({ id, ...amount })),
    };
  }

  private requireReservation(id: string): void {
    if (!this.reservations.has(id)) throw new Error(`no open reservation "${id}"`);
  }
}

/** Sums two usages (USD rounded to 1e-9 so repeated sums stay exact enough to compare). */
export function addUsage(a: Usage, b: Usage): Usage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    costUsd: roundUsd(a.costUsd + b.costUsd),
  };
}

const USD_EPSILON = 1e-9;

function roundUsd(value: number): number {
  return Math.round(value * 1e9) / 1e9;
}

function formatUsd(value: number): string {
  return value.toFixed(4).replace(/\.?0+$/, '') || '0';
}
