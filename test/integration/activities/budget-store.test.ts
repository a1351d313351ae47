import Redis from 'ioredis';
import { BudgetExceededError, createBudgetStore } from '../../../activities/budget/budget-store';
import { testRedis, uniqueId } from './helpers';

describe('budget store (real Redis, Lua)', () => {
  const redis = testRedis();
  const budgets = createBudgetStore({ redis });
  afterAll(() => redis.quit());

  it('reserves, commits the actual amount and releases the difference', async () => {
    const tenant = uniqueId('tenant');
    await budgets.setLimit({ tenant, limitUsd: 1 });
    const held = await budgets.reserve({ tenant, reservationId: 'r1', amountUsd: 0.4 });
    expect(held).toMatchObject({ limitUsd: 1, spentUsd: 0, reservedUsd: 0.4, remainingUsd: 0.6 });
    const after = await budgets.commit({ tenant, reservationId: 'r1', actualUsd: 0.1 });
    expect(after).toMatchObject({ charged: true, spentUsd: 0.1, reservedUsd: 0, remainingUsd: 0.9 });
  });

  it('rejects a reservation that does not fit, naming the numbers, and keeps state unchanged', async () => {
    const tenant = uniqueId('tenant');
    await budgets.setLimit({ tenant, limitUsd: 0.5 });
    await budgets.reserve({ tenant, reservationId: 'a', amountUsd: 0.3 });
    const err = await budgets
      .reserve({ tenant, reservationId: 'b', amountUsd: 0.3 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BudgetExceededError);
    expect((err as BudgetExceededError).message).toContain(tenant);
    expect((err as BudgetExceededError).state.remainingUsd).toBeCloseTo(0.2);
    expect(await budgets.state({ tenant })).toMatchObject({ reservedUsd: 0.3, spentUsd: 0 });
  });

  it('release frees the hold without charging; a second release is a no-op', async () => {
    const tenant = uniqueId('tenant');
    await budgets.setLimit({ tenant, limitUsd: 1 });
    await budgets.reserve({ tenant, reservationId: 'r', amountUsd: 0.9 });
    expect(await budgets.release({ tenant, reservationId: 'r' })).toMatchObject({
      released: true,
      reservedUsd: 0,
    });
    expect(await budgets.release({ tenant, reservationId: 'r' })).toMatchObject({ released: false });
    expect(await budgets.state({ tenant })).toMatchObject({ spentUsd: 0, remainingUsd: 1 });
  });

  it('is idempotent: re-reserving holds once; re-committing charges once', async () => {
    const tenant = uniqueId('tenant');
    await budgets.setLimit({ tenant, limitUsd: 1 });
    await budgets.reserve({ tenant, reservationId: 'r', amountUsd: 0.3 });
    expect(await budgets.reserve({ tenant, reservationId: 'r', amountUsd: 0.3 })).toMatchObject({
      reservedUsd: 0.3,
    });
    await budgets.commit({ tenant, reservationId: 'r', actualUsd: 0.2 });
    const again = await budgets.commit({ tenant, reservationId: 'r', actualUsd: 0.2 });
    expect(again).toMatchObject({ charged: false, spentUsd: 0.2 });
    // A retried reserve after commit does not hold budget again either.
    expect(await budgets.reserve({ tenant, reservationId: 'r', amountUsd: 0.3 })).toMatchObject({
      reservedUsd: 0,
    });
  });

  it('expires reservations that are never committed', async () => {
    const tenant = uniqueId('tenant');
    await budgets.setLimit({ tenant, limitUsd: 1 });
    await budgets.reserve({ tenant, reservationId: 'stale', amountUsd: 0.8, ttlMs: 50 });
    await expect(budgets.reserve({ tenant, reservationId: 'x', amountUsd: 0.5 })).rejects.toBeInstanceOf(
      BudgetExceededError,
    );
    await new Promise((r) => setTimeout(r, 80));
    expect(await budgets.reserve({ tenant, reservationId: 'x', amountUsd: 0.5 })).toMatchObject({
      reservedUsd: 0.5,
    });
    // A late commit of the expired reservation still charges what was actually spent.
    expect(await budgets.commit({ tenant, reservationId: 'stale', actualUsd: 0.1 })).toMatchObject({
      charged: true,
      spentUsd: 0.1,
      reservedUsd: 0.5,
    });
  });

  it('concurrent reservations never overshoot the limit (atomicity)', async () => {
    const tenant = uniqueId('tenant');
    await budgets.setLimit({ tenant, limitUsd: 1 });
    const attempts = Array.from({ length: 50 }, (_, i) =>
      budgets.reserve({ tenant, reservationId: `c${i}`, amountUsd: 0.07 }).then(
        () => true,
        (err: unknown) => {
          if (!(err instanceof BudgetExceededError)) throw err;
          return false;
        },
      ),
    );
    const results = await Promise.all(attempts);
    expect(results.filter(Boolean)).toHaveLength(14); // floor(1 / 0.07)
    const state = await budgets.state({ tenant });
    expect(state.reservedUsd).toBeCloseTo(0.98);
    expect(state.reservedUsd).toBeLessThanOrEqual(1);
  });

  it('without a limit everything fits and spending is still tracked', async () => {
    const tenant = uniqueId('tenant');
    await budgets.reserve({ tenant, reservationId: 'r', amountUsd: 1000 });
    expect(await budgets.commit({ tenant, reservationId: 'r', actualUsd: 2.5 })).toMatchObject({
      limitUsd: null,
      remainingUsd: null,
      spentUsd: 2.5,
    });
  });

  it('keys live under the configured prefix', async () => {
    const tenant = uniqueId('tenant');
    await budgets.reserve({ tenant, reservationId: 'r', amountUsd: 1 });
    const raw = new Redis(process.env.REDIS_URL!);
    try {
      expect(await raw.exists(`${process.env.REDIS_KEY_PREFIX}budget:{${tenant}}`)).toBe(1);
      expect(await raw.exists(`budget:{${tenant}}`)).toBe(0);
    } finally {
      raw.disconnect();
    }
  });
});
