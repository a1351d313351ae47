import fc from 'fast-check';
import {
  checkSpawn,
  DEFAULT_SPAWN_POLICY,
  narrowLimits,
  resolveSpawnPolicy,
  rootLimits,
  withRemainingBudget,
} from '../../../workflows/spawn-policy';
import type { RunLimits } from '../../../workflows/shared/types';

const parent: RunLimits = {
  tokens: 10_000,
  usd: 2,
  depth: 3,
  maxChildren: 5,
  maxConcurrency: 2,
  tools: ['workspace.read', 'http.request', 'delegate', 'finish'],
};

describe('spawn policy', () => {
  it('defaults to depth 10, 5 children per parent and validates overrides by field', () => {
    expect(resolveSpawnPolicy()).toEqual({ maxDepth: 10, maxChildrenPerParent: 5, maxConcurrency: 3 });
    expect(resolveSpawnPolicy({ maxDepth: 2, maxConcurrency: undefined })).toEqual({
      ...DEFAULT_SPAWN_POLICY,
      maxDepth: 2,
    });
    expect(() => resolveSpawnPolicy({ maxChildrenPerParent: -1 })).toThrow(
      'spawn policy maxChildrenPerParent must be an integer ≥ 0, got -1',
    );
    expect(() => resolveSpawnPolicy({ maxConcurrency: 0 })).toThrow(/maxConcurrency must be an integer ≥ 1/);
    expect(() => resolveSpawnPolicy({ maxDepth: 1.5 })).toThrow(/maxDepth/);
  });

  it('builds root limits from the policy and the run budget', () => {
    expect(
      rootLimits(resolveSpawnPolicy({ maxDepth: 4 }), { tokens: 500, usd: null, tools: ['a', 'b', 'a'] }),
    ).toEqual({
      tokens: 500,
      usd: null,
      depth: 4,
      maxChildren: 5,
      maxConcurrency: 3,
      tools: ['a', 'b'],
    });
  });

  it('narrows: a child gets at most what the parent has left, one level less, tools intersected', () => {
    expect(
      narrowLimits(parent, {
        tokens: 50_000,
        usd: 0.5,
        tools: ['http.request', 'shell.exec', 'workspace.read'],
      }),
    ).toEqual({
      tokens: 10_000,
      usd: 0.5,
      depth: 2,
      maxChildren: 5,
      maxConcurrency: 2,
      tools: ['workspace.read', 'http.request'],
    });
    expect(narrowLimits(parent)).toEqual({ ...parent, depth: 2 });
    expect(narrowLimits({ ...parent, tokens: null, usd: null }, { tokens: 100 })).toMatchObject({
      tokens: 100,
      usd: null,
    });
    expect(narrowLimits({ ...parent, depth: 0, tokens: -5 })).toMatchObject({ depth: 0, tokens: 0 });
  });

  it('never widens any limit (property)', () => {
    const budget = fc.option(fc.integer({ min: 0, max: 1e6 }), { nil: null });
    const tools = fc.subarray(['a', 'b', 'c', 'd', 'e']);
    const limits = fc.record({
      tokens: budget,
      usd: budget,
      depth: fc.integer({ min: 0, max: 10 }),
      maxChildren: fc.integer({ min: 0, max: 10 }),
      maxConcurrency: fc.integer({ min: 1, max: 10 }),
      tools,
    });
    const request = fc.record(
      {
        tokens: fc.integer({ min: 0, max: 2e6 }),
        usd: fc.integer({ min: 0, max: 2e6 }),
        depth: fc.integer({ min: 0, max: 20 }),
        maxChildren: fc.integer({ min: 0, max: 20 }),
        maxConcurrency: fc.integer({ min: 1, max: 20 }),
        tools,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(limits, request, (p, r) => {
        const child = narrowLimits(p, r);
        if (p.tokens !== null) expect(child.tokens).toBeLessThanOrEqual(p.tokens);
        if (p.usd !== null) expect(child.usd).toBeLessThanOrEqual(p.usd);
        expect(child.depth).toBeLessThanOrEqual(Math.max(0, p.depth - 1));
        expect(child.maxChildren).toBeLessThanOrEqual(p.maxChildren);
        expect(child.maxConcurrency).toBeLessThanOrEqual(p.maxConcurrency);
        for (const t of child.tools) expect(p.tools).toContain(t);
        // narrowing twice never gives more than narrowing once from the same parent
        const grandchild = narrowLimits(child, r);
        expect(grandchild.depth).toBeLessThanOrEqual(child.depth);
      }),
    );
  });

  it('denies spawns with a reason: depth, fan-out, concurrency, budget, tools', () => {
    expect(checkSpawn({ ...parent, depth: 0 }, { started: 0, running: 0 })).toMatchObject({
      allowed: false,
      code: 'depth',
    });
    expect(checkSpawn(parent, { started: 5, running: 0 })).toEqual({
      allowed: false,
      code: 'children',
      reason: 'maximum children per parent reached (5)',
    });
    expect(checkSpawn(parent, { started: 2, running: 2 })).toMatchObject({
      allowed: false,
      code: 'concurrency',
    });
    expect(checkSpawn({ ...parent, tokens: 0 }, { started: 0, running: 0 })).toMatchObject({
      allowed: false,
      code: 'budget',
      reason: 'no token budget left to give a child',
    });
    expect(checkSpawn({ ...parent, usd: 0 }, { started: 0, running: 0 })).toMatchObject({ code: 'budget' });
    expect(checkSpawn(parent, { started: 0, running: 0 }, { tools: ['shell.exec'] })).toEqual({
      allowed: false,
      code: 'tools',
      reason: 'none of the requested tools (shell.exec) is available to the parent',
    });
  });

  it('allows a spawn with narrowed limits and reports the tools it dropped', () => {
    const decision = checkSpawn(
      parent,
      { started: 4, running: 1 },
      { tools: ['http.request', 'shell.exec'], usd: 5 },
    );
    expect(decision).toEqual({
      allowed: true,
      droppedTools: ['shell.exec'],
      limits: {
        tokens: 10_000,
        usd: 2,
        depth: 2,
        maxChildren: 5,
        maxConcurrency: 2,
        tools: ['http.request'],
      },
    });
  });
});

describe('withRemainingBudget', () => {
  it('replaces the budget with what the ledger has left, never above the limits', () => {
    expect(withRemainingBudget(parent, { tokens: 4000, usd: 3 })).toEqual({
      ...parent,
      tokens: 4000,
      usd: 2,
    });
    expect(withRemainingBudget({ ...parent, tokens: null }, { tokens: 50, usd: null })).toMatchObject({
      tokens: 50,
      usd: 2,
    });
    const copy = withRemainingBudget(parent, { tokens: null, usd: null });
    expect(copy).toEqual(parent);
    expect(copy.tools).not.toBe(parent.tools);
  });
});
