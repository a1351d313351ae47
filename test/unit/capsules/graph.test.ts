import fc from 'fast-check';
import { capsuleSchema } from '../../../capsules/capsule-schema';
import { compileCapsule } from '../../../capsules/compiler';
import { personaSchema } from '../../../capsules/persona-schema';
import { createMemoryResolver } from '../../../capsules/resolver';
import {
  ancestors,
  ancestorTest,
  criticalPath,
  findCycles,
  topologicalLayers,
  type Graph,
} from '../../../capsules/graph';

/** A random DAG: edges only point from a later node to an earlier one in a hidden order. */
const dagArb = fc
  .integer({ min: 1, max: 40 })
  .chain((n) =>
    fc.tuple(
      fc.shuffledSubarray(
        Array.from({ length: n }, (_, i) => `s${i}`),
        { minLength: n, maxLength: n },
      ),
      fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: n * 3 }),
    ),
  )
  .map(([order, pairs]): Graph => {
    const deps = new Map<string, string[]>(order.map((id) => [id, []]));
    for (const [a, b] of pairs) {
      if (a === b) continue;
      const [later, earlier] = a > b ? [order[a]!, order[b]!] : [order[b]!, order[a]!];
      const list = deps.get(later)!;
      if (!list.includes(earlier)) list.push(earlier);
    }
    // Declaration order is independent of the hidden topological order.
    return { nodes: [...order].sort(), deps };
  });

function isRealCycle(graph: Graph, walk: string[]): boolean {
  if (walk.length < 2 || walk[0] !== walk[walk.length - 1]) return false;
  for (let i = 0; i + 1 < walk.length; i++) {
    if (!(graph.deps.get(walk[i]!) ?? []).includes(walk[i + 1]!)) return false;
  }
  return true;
}

describe('task graph', () => {
  it('layers every node of a random DAG exactly once, each after all of its dependencies', () => {
    fc.assert(
      fc.property(dagArb, (graph) => {
        const { layers, layerOf, blocked } = topologicalLayers(graph);
        expect(blocked).toEqual([]);
        expect(layers.flat().sort()).toEqual([...graph.nodes].sort());
        for (const node of graph.nodes) {
          const deps = graph.deps.get(node)!;
          for (const dep of deps) expect(layerOf.get(dep)!).toBeLessThan(layerOf.get(node)!);
          // Layers are tight: a node sits right after its latest dependency.
          const expected = deps.length === 0 ? 0 : Math.max(...deps.map((d) => layerOf.get(d)!)) + 1;
          expect(layerOf.get(node)).toBe(expected);
        }
        expect(findCycles(graph)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('always finds a cycle closed on a random DAG, and reports a real one', () => {
    fc.assert(
      fc.property(dagArb, fc.nat(), fc.nat(), (graph, i, j) => {
        // Pick a node and one of its ancestors (or itself); a back edge ancestor → node closes a cycle.
        const { layers } = topologicalLayers(graph);
        const up = ancestors(graph, layers);
        const node = graph.nodes[i % graph.nodes.length]!;
        const candidates = [node, ...up.get(node)!];
        const ancestor = candidates[j % candidates.length]!;
        const deps = new Map([...graph.deps].map(([k, v]) => [k, [...v]]));
        deps.get(ancestor)!.push(node);
        const cyclic: Graph = { nodes: graph.nodes, deps };

        const cycles = findCycles(cyclic);
        expect(cycles.length).toBe(1);
        expect(isRealCycle(cyclic, cycles[0]!)).toBe(true);
        expect(cycles[0]).toContain(node);
        expect(cycles[0]).toContain(ancestor);
        const { blocked } = topologicalLayers(cyclic);
        for (const id of cycles[0]!) expect(blocked).toContain(id);
      }),
      { numRuns: 300 },
    );
  });

  it('finds several independent cycles, including self-loops', () => {
    const graph: Graph = {
      nodes: ['a', 'b', 'c', 'd', 'e', 'f'],
      deps: new Map([
        ['a', ['b']],
        ['b', ['a']],
        ['c', ['c']],
        ['d', []],
        ['e', ['f', 'd']],
        ['f', ['e']],
      ]),
    };
    expect(findCycles(graph)).toEqual([
      ['a', 'b', 'a'],
      ['c', 'c'],
      ['e', 'f', 'e'],
    ]);
  });

  it('picks the heaviest chain as the critical path', () => {
    const graph: Graph = {
      nodes: ['a', 'b', 'c', 'd'],
      deps: new Map([
        ['a', []],
        ['b', ['a']],
        ['c', ['a']],
        ['d', ['b', 'c']],
      ]),
    };
    const { layers } = topologicalLayers(graph);
    expect(layers).toEqual([['a'], ['b', 'c'], ['d']]);
    const weights: Record<string, number> = { a: 1, b: 2, c: 5, d: 1 };
    expect(criticalPath(graph, layers, (id) => weights[id]!)).toEqual({ steps: ['a', 'c', 'd'], length: 7 });
  });

  it('handles a 10 000-step chain without overflowing the stack', () => {
    const nodes = Array.from({ length: 10_000 }, (_, i) => `s${i}`);
    const deps = new Map(nodes.map((id, i) => [id, i === 0 ? [] : [nodes[i - 1]!]]));
    deps.get('s0')!.push('s9999');
    const cycles = findCycles({ nodes, deps });
    expect(cycles).toHaveLength(1);
    expect(cycles[0]).toHaveLength(10_001);
  });
});

describe('ancestorTest', () => {
  it('agrees with the set-based ancestors on random DAGs', () => {
    fc.assert(
      fc.property(dagArb, (graph) => {
        const { layers } = topologicalLayers(graph);
        const sets = ancestors(graph, layers);
        const test = ancestorTest(graph, layers);
        for (const a of graph.nodes)
          for (const b of graph.nodes) expect(test(a, b)).toBe(sets.get(a)!.has(b));
      }),
      { numRuns: 100 },
    );
  });
});

describe('compileCapsule on random task graphs', () => {
  const persona = personaSchema.parse({
    id: 'worker',
    version: '1.0.0',
    name: 'Worker',
    description: 'd',
    systemPrompt: 'You do the work you are given.',
    model: { planning: 'a/b', implementation: 'a/c' },
  });
  const resolver = createMemoryResolver({ personas: [{ value: persona, source: { file: 'worker.yaml' } }] });
  const toCapsule = (graph: Graph) =>
    capsuleSchema.parse({
      id: 'demo.random',
      version: '1.0.0',
      title: 't',
      description: 'd',
      type: 'atomic',
      intent: 'i',
      deliverable: { description: 'd', format: 'text' },
      personas: { w: 'worker@^1' },
      budget: { tokens: 1000, costUsd: 1, wallTime: '1m' },
      steps: graph.nodes.map((id) => ({
        id,
        persona: 'w',
        // Each step reads every direct dependency's output: valid only if they are upstream.
        instruction: `go ${(graph.deps.get(id) ?? []).map((d) => `{{ steps.${d}.output }}`).join(' ')}`,
        dependsOn: graph.deps.get(id) ?? [],
      })),
    });

  it('compiles every random DAG into layers that respect dependsOn', async () => {
    await fc.assert(
      fc.asyncProperty(dagArb, async (graph) => {
        const { plan, diagnostics } = await compileCapsule(toCapsule(graph), { resolver });
        expect(diagnostics).toEqual([]);
        const layerOf = new Map(plan!.steps.map((s) => [s.id, s.layer]));
        for (const step of plan!.steps) {
          for (const dep of step.dependsOn) expect(layerOf.get(dep)!).toBeLessThan(step.layer);
          expect(plan!.layers[step.layer]).toContain(step.id);
        }
        // The critical path is a dependency chain as long as the number of layers.
        const path = plan!.criticalPath.steps;
        expect(path).toHaveLength(plan!.layers.length);
        for (let i = 1; i < path.length; i++) {
          expect(plan!.steps.find((s) => s.id === path[i])!.dependsOn).toContain(path[i - 1]);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('rejects every random DAG with a cycle closed in it, at a dependsOn entry on the cycle', async () => {
    await fc.assert(
      fc.asyncProperty(dagArb, fc.nat(), fc.nat(), async (graph, i, j) => {
        const { layers } = topologicalLayers(graph);
        const up = ancestors(graph, layers);
        const node = graph.nodes[i % graph.nodes.length]!;
        const candidates = [node, ...up.get(node)!];
        const ancestor = candidates[j % candidates.length]!;
        const deps = new Map([...graph.deps].map(([k, v]) => [k, [...v]]));
        deps.get(ancestor)!.push(node);
        const { plan, diagnostics } = await compileCapsule(toCapsule({ nodes: graph.nodes, deps }), {
          resolver,
        });
        expect(plan).toBeUndefined();
        const cycle = diagnostics.filter((d) => d.code === 'dependency-cycle');
        expect(cycle).toHaveLength(1);
        expect(cycle[0]!.path).toMatch(/^steps\[\d+\]\.dependsOn\[\d+\]$/);
        expect(cycle[0]!.message).toContain(node);
        expect(cycle[0]!.message).toContain(ancestor);
      }),
      { numRuns: 100 },
    );
  });
});
