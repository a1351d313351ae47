import type { RunLimits } from './shared/types';

/**
 * Delegation limits. Every persona (and composite capsule step) runs under `RunLimits` that only
 * narrow down the tree: a child never gets more budget, depth, fan-out or tool rights than its
 * parent has left. Pure; sandbox-safe.
 */

/** How far and wide delegation may go. All configurable (capsule or worker config). */
export interface SpawnPolicy {
  /** Levels of delegation below the root run. @default 10 */
  maxDepth: number;
  /** Children one workflow may start in total. @default 5 */
  maxChildrenPerParent: number;
  /** Children one workflow may run at the same time. @default 3 */
  maxConcurrency: number;
}

export const DEFAULT_SPAWN_POLICY: Readonly<SpawnPolicy> = Object.freeze({
  maxDepth: 10,
  maxChildrenPerParent: 5,
  maxConcurrency: 3,
});

/** Fills a partial policy with defaults; throws a `RangeError` naming the bad field. */
export function resolveSpawnPolicy(overrides: Partial<SpawnPolicy> = {}): SpawnPolicy {
  const policy = { ...DEFAULT_SPAWN_POLICY, ...definedOnly(overrides) };
  requireInteger('maxDepth', policy.maxDepth, 0);
  requireInteger('maxChildrenPerParent', policy.maxChildrenPerParent, 0);
  requireInteger('maxConcurrency', policy.maxConcurrency, 1);
  return policy;
}

/** The limits of a root run: the policy plus the run's budget and tool suite. */
export function rootLimits(
  policy: SpawnPolicy,
  budget: { tokens: number | null; usd: number | null; tools: readonly string[] },
): RunLimits {
  return {
    tokens: budget.tokens,
    usd: budget.usd,
    depth: policy.maxDepth,
    maxChildren: policy.maxChildrenPerParent,
    maxConcurrency: policy.maxConcurrency,
    tools: uniqueInOrder(budget.tools),
  };
}

/**
 * The limits a workflow has left right now: its own limits with the budget replaced by what its
 * ledger says remains (never more than the limits themselves).
 */
export function withRemainingBudget(
  limits: RunLimits,
  remaining: { tokens: number | null; usd: number | null },
): RunLimits {
  return {
    ...limits,
    tools: [...limits.tools],
    tokens: minBudget(limits.tokens, remaining.tokens ?? undefined),
    usd: minBudget(limits.usd, remaining.usd ?? undefined),
  };
}

/** What a delegating workflow asks for its child; every field optional (absent: as much as allowed). */
export interface SpawnRequest {
  tokens?: number;
  usd?: number;
  depth?: number;
  maxChildren?: number;
  maxConcurrency?: number;
  tools?: readonly string[];
}

/**
 * The child's limits: each number the minimum of what the parent has left and what was asked
 * (depth one level less than the parent's), tools the intersection in the parent's order.
 * Negative leftovers clamp to 0.
 */
export function narrowLimits(parentRemaining: RunLimits, requested: SpawnRequest = {}): RunLimits {
  const allowedTools = new Set(requested.tools ?? parentRemaining.tools);
  return {
    tokens: minBudget(parentRemaining.tokens, requested.tokens),
    usd: minBudget(parentRemaining.usd, requested.usd),
    depth: Math.max(0, Math.min(parentRemaining.depth - 1, requested.depth ?? Infinity)),
    maxChildren: Math.max(0, Math.min(parentRemaining.maxChildren, requested.maxChildren ?? Infinity)),
    maxConcurrency: Math.max(
      1,
      Math.min(parentRemaining.maxConcurrency, requested.maxConcurrency ?? Infinity),
    ),
    tools: uniqueInOrder(parentRemaining.tools).filter((tool) => allowedTools.has(tool)),
  };
}

/** Children a workflow has started so far. */
export interface SpawnCounters {
  started: number;
  running: number;
}

export type SpawnDenialCode = 'depth' | 'children' | 'concurrency' | 'budget' | 'tools';

export type SpawnDecision =
  | {
      allowed: true;
      limits: RunLimits;
      /** Requested tools the parent does not have. */ droppedTools: string[];
    }
  | { allowed: false; code: SpawnDenialCode; reason: string };

/**
 * Decides whether a workflow may start one more child now, and with which limits. A `concurrency`
 * denial is transient: the caller may wait for a running child to finish and ask again.
 */
export function checkSpawn(
  parentRemaining: RunLimits,
  counters: SpawnCounters,
  requested: SpawnRequest = {},
): SpawnDecision {
  if (parentRemaining.depth <= 0) {
    return {
      allowed: false,
      code: 'depth',
      reason: 'maximum delegation depth reached: this persona may not spawn',
    };
  }
  if (counters.started >= parentRemaining.maxChildren) {
    return {
      allowed: false,
      code: 'children',
      reason: `maximum children per parent reached (${parentRemaining.maxChildren})`,
    };
  }
  if (counters.running >= parentRemaining.maxConcurrency) {
    return {
      allowed: false,
      code: 'concurrency',
      reason: `maximum concurrent children running (${parentRemaining.maxConcurrency}); wait for one to finish`,
    };
  }
  if (parentRemaining.tokens !== null && parentRemaining.tokens <= 0) {
    return { allowed: false, code: 'budget', reason: 'no token budget left to give a child' };
  }
  if (parentRemaining.usd !== null && parentRemaining.usd <= 0) {
    return { allowed: false, code: 'budget', reason: 'no spend budget (USD) left to give a child' };
  }
  const limits = narrowLimits(parentRemaining, requested);
  const parentTools = new Set(parentRemaining.tools);
  const droppedTools = uniqueInOrder(requested.tools ?? []).filter((tool) => !parentTools.has(tool));
  if (requested.tools !== undefined && requested.tools.length > 0 && limits.tools.length === 0) {
    return {
      allowed: false,
      code: 'tools',
      reason: `none of the requested tools (${droppedTools.join(', ')}) is available to the parent`,
    };
  }
  return { allowed: true, limits, droppedTools };
}

function minBudget(parent: number | null, requested: number | undefined): number | null {
  if (parent === null) return requested ?? null;
  return Math.max(0, requested === undefined ? parent : Math.min(parent, requested));
}

function uniqueInOrder(items: readonly string[]): string[] {
  return [...new Set(items)];
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function requireInteger(field: keyof SpawnPolicy, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`spawn policy ${field} must be an integer ≥ ${min}, got ${String(value)}`);
  }
}
