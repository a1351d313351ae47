import type { Redis } from '../../services/redis';
import { COMMIT, RELEASE, RESERVE, STATE } from './budget-scripts';

/** A tenant's budget; amounts in USD. `limitUsd`/`remainingUsd` are null when no limit is set. */
export interface BudgetState {
  tenant: string;
  limitUsd: number | null;
  spentUsd: number;
  reservedUsd: number;
  remainingUsd: number | null;
}

/** A reservation did not fit in the remaining budget. */
export class BudgetExceededError extends Error {
  override readonly name = 'BudgetExceededError';
  constructor(
    readonly requestedUsd: number,
    readonly state: BudgetState,
  ) {
    super(
      `budget of tenant ${state.tenant} exceeded: requested $${requestedUsd.toFixed(6)}, ` +
        `remaining $${(state.remainingUsd ?? 0).toFixed(6)} of $${(state.limitUsd ?? 0).toFixed(6)}`,
    );
  }
}

export interface BudgetStoreOptions {
  redis: Redis;
  /** How long an uncommitted reservation holds budget. @default 600000 (10 min) */
  reservationTtlMs?: number;
  /** How long a committed reservation id is remembered, so a retried commit is not charged twice.
   * @default 86400000 (24 h) */
  commitMemoryMs?: number;
}

export interface BudgetStore {
  /** Sets (or with null removes) the tenant's limit; spending so far is kept. */
  setLimit(input: { tenant: string; limitUsd: number | null }): Promise<BudgetState>;
  /**
   * Holds `amountUsd` for `reservationId` if it fits under the limit, atomically with every
   * other worker. Idempotent: reserving an id again extends it rather than holding twice.
   * @throws BudgetExceededError
   */
  reserve(input: {
    tenant: string;
    reservationId: string;
    amountUsd: number;
    ttlMs?: number;
  }): Promise<BudgetState>;
  /** Charges actual usage and frees the reservation; a repeated commit charges nothing. */
  commit(input: {
    tenant: string;
    reservationId: string;
    actualUsd: number;
  }): Promise<BudgetState & { charged: boolean }>;
  /** Frees a reservation without charging (the call failed before any usage). */
  release(input: { tenant: string; reservationId: string }): Promise<BudgetState & { released: boolean }>;
  state(input: { tenant: string }): Promise<BudgetState>;
}

const MICROS = 1_000_000;
const toMicros = (usd: number) => Math.ceil(usd * MICROS);

function keys(tenant: string): string[] {
  // {tenant} hash tag: all four keys land in one Redis Cluster slot, as a script requires.
  const base = `budget:{${tenant}}`;
  return [base, `${base}:res`, `${base}:amt`, `${base}:done`];
}

function toState(tenant: string, reply: unknown): { status: number; state: BudgetState } {
  const [status, limit, spent, reserved] = reply as [number, string, number, number];
  const limitMicros = limit === '' ? null : Number(limit);
  return {
    status,
    state: {
      tenant,
      limitUsd: limitMicros === null ? null : limitMicros / MICROS,
      spentUsd: spent / MICROS,
      reservedUsd: reserved / MICROS,
      remainingUsd: limitMicros === null ? null : Math.max(0, limitMicros - spent - reserved) / MICROS,
    },
  };
}

/** Per-tenant budgets in Redis with atomic reserve / commit / release (Lua scripts). */
export function createBudgetStore({
  redis,
  reservationTtlMs = 600_000,
  commitMemoryMs = 86_400_000,
}: BudgetStoreOptions): BudgetStore {
  const state = async (tenant: string) => toState(tenant, await STATE.run(redis, keys(tenant), [])).state;
  return {
    async setLimit({ tenant, limitUsd }) {
      const [hash] = keys(tenant);
      if (limitUsd === null) await redis.hdel(hash!, 'limit');
      else await redis.hset(hash!, 'limit', toMicros(limitUsd));
      return state(tenant);
    },
    async reserve({ tenant, reservationId, amountUsd, ttlMs = reservationTtlMs }) {
      const reply = await RESERVE.run(redis, keys(tenant), [
        reservationId,
        toMicros(amountUsd),
        Math.ceil(ttlMs),
      ]);
      const result = toState(tenant, reply);
      if (result.status === 0) throw new BudgetExceededError(amountUsd, result.state);
      return result.state;
    },
    async commit({ tenant, reservationId, actualUsd }) {
      const reply = await COMMIT.run(redis, keys(tenant), [
        reservationId,
        toMicros(actualUsd),
        commitMemoryMs,
      ]);
      const result = toState(tenant, reply);
      return { ...result.state, charged: result.status === 1 };
    },
    async release({ tenant, reservationId }) {
      const result = toState(tenant, await RELEASE.run(redis, keys(tenant), [reservationId]));
      return { ...result.state, released: result.status === 1 };
    },
    state: ({ tenant }) => state(tenant),
  };
}
