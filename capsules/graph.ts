/**
 * Task-graph algorithms over step ids: cycle detection (Tarjan), topological layers (longest
 * path from a root) and the weighted critical path. Deterministic: ties follow declaration order.
 * Sandbox-safe (pure).
 */

/** Node ids in declaration order and, per node, the ids it depends on (all known nodes). */
export interface Graph {
  nodes: readonly string[];
  deps: ReadonlyMap<string, readonly string[]>;
}

/**
 * Every cycle, one per strongly connected component, each as a closed walk `[a, b, ..., a]`
 * following dependency edges (a depends on b ...), starting at its earliest-declared node.
 */
export function findCycles(graph: Graph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;

  // Iterative Tarjan so a 10k-step chain does not overflow the call stack.
  for (const root of graph.nodes) {
    if (index.has(root)) continue;
    const work: Array<{ node: string; next: number }> = [{ node: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const deps = graph.deps.get(frame.node) ?? [];
      if (frame.next < deps.length) {
        const dep = deps[frame.next++]!;
        if (!index.has(dep)) {
          index.set(dep, counter);
          low.set(dep, counter++);
          stack.push(dep);
          onStack.add(dep);
          work.push({ node: dep, next: 0 });
        } else if (onStack.has(dep)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(dep)!));
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1]!.node;
        low.set(parent, Math.min(low.get(parent)!, low.get(frame.node)!));
      }
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let n: string;
        do {
          n = stack.pop()!;
          onStack.delete(n);
          component.push(n);
        } while (n !== frame.node);
        const selfLoop = component.length === 1 && (graph.deps.get(n) ?? []).includes(n);
        if (component.length > 1 || selfLoop) components.push(component);
      }
    }
  }

  const order = new Map(graph.nodes.map((n, i) => [n, i]));
  return components
    .map((component) => cycleWalk(graph, new Set(component), order))
    .sort((a, b) => order.get(a[0]!)! - order.get(b[0]!)!);
}

/** A concrete closed walk through one strongly connected component (BFS back to the start). */
function cycleWalk(graph: Graph, members: ReadonlySet<string>, order: ReadonlyMap<string, number>): string[] {
  const start = [...members].sort((a, b) => order.get(a)! - order.get(b)!)[0]!;
  const parent = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i]!;
    for (const dep of graph.deps.get(node) ?? []) {
      if (!members.has(dep)) continue;
      if (dep === start) {
        const walk = [start];
        for (let n: string | undefined = node; n !== undefined && n !== start; n = parent.get(n))
          walk.splice(1, 0, n);
        walk.push(start);
        return walk;
      }
      if (!parent.has(dep)) {
        parent.set(dep, node);
        queue.push(dep);
      }
    }
  }
  return [start, start];
}

/**
 * Topological layers: layer 0 holds steps without dependencies; a step sits one layer after its
 * latest dependency, so everything in one layer can run in parallel. Nodes that are in, or
 * downstream of, a cycle are left out and returned as `blocked`.
 */
export function topologicalLayers(graph: Graph): {
  layers: string[][];
  layerOf: Map<string, number>;
  blocked: string[];
} {
  const dependents = new Map<string, string[]>();
  const remaining = new Map<string, number>();
  for (const node of graph.nodes) {
    remaining.set(node, (graph.deps.get(node) ?? []).length);
    for (const dep of graph.deps.get(node) ?? []) {
      const list = dependents.get(dep);
      if (list) list.push(node);
      else dependents.set(dep, [node]);
    }
  }
  const layerOf = new Map<string, number>();
  const layers: string[][] = [];
  let current = graph.nodes.filter((n) => remaining.get(n) === 0);
  const order = new Map(graph.nodes.map((n, i) => [n, i]));
  while (current.length > 0) {
    const layer = current.sort((a, b) => order.get(a)! - order.get(b)!);
    layers.push(layer);
    const next: string[] = [];
    for (const node of layer) {
      layerOf.set(node, layers.length - 1);
      for (const child of dependents.get(node) ?? []) {
        const left = remaining.get(child)! - 1;
        remaining.set(child, left);
        if (left === 0) next.push(child);
      }
    }
    current = next;
  }
  const blocked = graph.nodes.filter((n) => !layerOf.has(n));
  return { layers, layerOf, blocked };
}

/**
 * The heaviest dependency chain: the steps that bound the run's duration. `weight` gives each
 * step's cost (1 for unit weights). Only defined on acyclic graphs (pass the layered nodes).
 */
export function criticalPath(
  graph: Graph,
  layers: readonly string[][],
  weight: (node: string) => number,
): { steps: string[]; length: number } {
  const best = new Map<string, { length: number; via?: string }>();
  for (const layer of layers) {
    for (const node of layer) {
      let via: string | undefined;
      let length = 0;
      for (const dep of graph.deps.get(node) ?? []) {
        const d = best.get(dep);
        if (d && d.length > length) {
          length = d.length;
          via = dep;
        }
      }
      best.set(node, { length: length + weight(node), via });
    }
  }
  let end: string | undefined;
  let total = 0;
  for (const layer of layers) {
    for (const node of layer) {
      const entry = best.get(node)!;
      if (end === undefined || entry.length > total) {
        end = node;
        total = entry.length;
      }
    }
  }
  const steps: string[] = [];
  for (let n = end; n !== undefined; n = best.get(n)?.via) steps.unshift(n);
  return { steps, length: total };
}

/** For each node, the set of its transitive dependencies (the steps whose outputs it can see). */
export function ancestors(graph: Graph, layers: readonly string[][]): Map<string, Set<string>> {
  const result = new Map<string, Set<string>>();
  for (const layer of layers) {
    for (const node of layer) {
      const set = new Set<string>();
      for (const dep of graph.deps.get(node) ?? []) {
        set.add(dep);
        for (const a of result.get(dep) ?? []) set.add(a);
      }
      result.set(node, set);
    }
  }
  return result;
}

/**
 * Constant-time "is `candidate` a transitive dependency of `node`?" built from one bitset per
 * node (n²/32 words), which keeps 500-step graphs far cheaper than a Set per node.
 */
export function ancestorTest(
  graph: Graph,
  layers: readonly string[][],
): (node: string, candidate: string) => boolean {
  const index = new Map(graph.nodes.map((n, i) => [n, i]));
  const words = (graph.nodes.length + 31) >>> 5;
  const bits = new Uint32Array(words * graph.nodes.length);
  for (const layer of layers) {
    for (const node of layer) {
      const base = index.get(node)! * words;
      for (const dep of graph.deps.get(node) ?? []) {
        const d = index.get(dep)!;
        const depBase = d * words;
        for (let w = 0; w < words; w++) bits[base + w]! |= bits[depBase + w]!;
        bits[base + (d >>> 5)]! |= 1 << (d & 31);
      }
    }
  }
  return (node, candidate) => {
    const n = index.get(node);
    const c = index.get(candidate);
    if (n === undefined || c === undefined) return false;
    return (bits[n * words + (c >>> 5)]! & (1 << (c & 31))) !== 0;
  };
}
