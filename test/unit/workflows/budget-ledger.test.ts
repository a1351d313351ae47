import { ApplicationFailure } from '@temporalio/common';
import { addUsage, BudgetLedger } from '../../../workflows/budget-ledger';

const usage = (inputTokens: number, outputTokens: number, costUsd: number) => ({
  inputTokens,
  outputTokens,
  costUsd,
});

describe('BudgetLedger', () => {
  it('reserves from the estimate and reconciles with actual usage', () => {
    const ledger = new BudgetLedger({ tokens: 1000, usd: 1 });
    expect(ledger.reserve('slm-1', { tokens: 600, usd: 0.3 })).toEqual({ ok: true });
    expect(ledger.remaining()).toEqual({ tokens: 400, usd: 0.7 });
    ledger.reconcile('slm-1', usage(300, 100, 0.1));
    expect(ledger.spent()).toEqual(usage(300, 100, 0.1));
    expect(ledger.reserved()).toEqual({ tokens: 0, usd: 0 });
    expect(ledger.remaining()).toEqual({ tokens: 600, usd: 0.9 });
  });

  it('refuses a reservation that does not fit, saying what is short, and holds nothing', () => {
    const ledger = new BudgetLedger({ tokens: 1000, usd: 0.5 });
    ledger.reserve('a', { tokens: 800, usd: 0.1 });
    const result = ledger.reserve('b', { tokens: 300, usd: 0.45 });
    expect(result).toEqual({
      ok: false,
      reason: 'budget exceeded: 300 tokens needed, 200 left of 1000; $0.45 needed, $0.4 left of $0.5',
      available: { tokens: 200, usd: 0.4 },
    });
    expect(ledger.reserved()).toEqual({ tokens: 800, usd: 0.1 });
    expect(ledger.reserve('b', { tokens: 200, usd: 0.4 })).toEqual({ ok: true });
  });

  it('throws a non-retryable BudgetExceeded failure from reserveOrThrow', () => {
    const ledger = new BudgetLedger({ tokens: 10, usd: null });
    let failure: unknown;
    try {
      ledger.reserveOrThrow('x', { tokens: 11, usd: 0 });
    } catch (err) {
      failure = err;
    }
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect((failure as ApplicationFailure).type).toBe('BudgetExceeded');
    expect((failure as ApplicationFailure).nonRetryable).toBe(true);
    expect((failure as ApplicationFailure).details).toEqual([
      { requested: { tokens: 11, usd: 0 }, available: { tokens: 10, usd: null } },
    ]);
  });

  it('releases a failed call without spending, and books overruns', () => {
    const ledger = new BudgetLedger({ tokens: 100, usd: null });
    ledger.reserve('a', { tokens: 50, usd: 0 });
    ledger.release('a');
    expect(ledger.remaining()).toEqual({ tokens: 100, usd: null });
    ledger.reserve('b', { tokens: 50, usd: 0 });
    ledger.reconcile('b', usage(90, 30, 0.02));
    expect(ledger.remaining().tokens).toBe(0);
    expect(ledger.reserve('c', { tokens: 1, usd: 0 }).ok).toBe(false);
    expect(() => ledger.release('b')).toThrow('no open reservation "b"');
  });

  it('rolls child spend up without double counting repeated reports', () => {
    const ledger = new BudgetLedger({ tokens: 10_000, usd: 5 });
    ledger.reserve('child-1', { tokens: 4000, usd: 2 });
    ledger.rollUp('child-1', usage(1000, 500, 0.5));
    expect(ledger.reserved()).toEqual({ tokens: 0, usd: 0 });
    ledger.rollUp('child-1', usage(2000, 600, 0.75));
    ledger.rollUp('child-2', usage(100, 0, 0.25));
    ledger.reserve('own', { tokens: 10, usd: 0 });
    ledger.reconcile('own', usage(10, 0, 0));
    expect(ledger.spent()).toEqual(usage(2110, 600, 1));
    expect(ledger.remaining()).toEqual({ tokens: 7290, usd: 4 });
  });

  it('keeps USD sums exact enough to compare against the limit', () => {
    const ledger = new BudgetLedger({ tokens: null, usd: 0.3 });
    ledger.reserve('a', { tokens: 0, usd: 0.1 });
    ledger.reconcile('a', usage(0, 0, 0.1));
    ledger.reserve('b', { tokens: 0, usd: 0.2 });
    ledger.reconcile('b', usage(0, 0, 0.2));
    expect(ledger.spent().costUsd).toBe(0.3);
    expect(ledger.remaining().usd).toBe(0);
    expect(addUsage(usage(1, 2, 0.1), usage(3, 4, 0.2))).toEqual(usage(4, 6, 0.3));
  });

  it('round-trips through a JSON snapshot (continue-as-new)', () => {
    const ledger = new BudgetLedger({ tokens: 1000, usd: 1 });
    ledger.reserve('open', { tokens: 100, usd: 0.1 });
    ledger.reserve('done', { tokens: 100, usd: 0.1 });
    ledger.reconcile('done', usage(40, 20, 0.05));
    ledger.rollUp('kid', usage(5, 5, 0.01));
    const restored = BudgetLedger.restore(JSON.parse(JSON.stringify(ledger.snapshot())));
    expect(restored.snapshot()).toEqual(ledger.snapshot());
    expect(restored.remaining()).toEqual(ledger.remaining());
    restored.reconcile('open', usage(1, 1, 0));
    expect(() => restored.reserve('kid2', { tokens: 10, usd: 0 })).not.toThrow();
  });

  it('rejects bad limits, negative estimates and reused ids', () => {
    expect(() => new BudgetLedger({ tokens: -1, usd: null })).toThrow(
      'budget limit tokens must be a number ≥ 0 or null, got -1',
    );
    expect(() => new BudgetLedger({ tokens: null, usd: Number.NaN })).toThrow(/budget limit usd/);
    const ledger = new BudgetLedger({ tokens: null, usd: null });
    expect(() => ledger.reserve('a', { tokens: -5, usd: 0 })).toThrow(/must be ≥ 0/);
    ledger.reserve('a', { tokens: 5, usd: 0 });
    expect(() => ledger.reserve('a', { tokens: 5, usd: 0 })).toThrow('reservation "a" is already open');
  });
});
