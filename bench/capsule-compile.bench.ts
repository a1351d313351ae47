import { performance } from 'node:perf_hooks';
import { stringify } from 'yaml';
import { compileCapsule, createMemoryResolver, forecastPlan, parseCapsule, parsePersona } from '../capsules';
import { percentile, report } from './format';

const STEPS = 500;
const WARMUP = 20;
const RUNS = 200;

/** Deterministic PRNG (mulberry32) so every run benchmarks the same graph. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 500-step capsule: each step depends on up to three earlier ones and reads their outputs. */
function bigCapsule(): string {
  const random = rng(42);
  const steps = Array.from({ length: STEPS }, (_, i) => {
    const deps = new Set<string>();
    for (let k = 0; k < 3 && i > 0; k++) deps.add(`s${Math.floor(random() * i)}`);
    const reads = [...deps].map((d) => `{{ steps.${d}.output.summary }}`).join(' and ');
    return {
      id: `s${i}`,
      persona: i % 2 === 0 ? 'writer' : 'analyst',
      task: 'analysis',
      instruction: `Step ${i} for {{ params.topic }} using {{ memory.notes }}. Inputs: ${reads || 'none'}.`,
      tools: ['workspace.read'],
      dependsOn: [...deps],
      output: { type: 'object', properties: { summary: { type: 'string' } } },
    };
  });
  return stringify({
    id: 'bench.big',
    version: '1.0.0',
    title: 'Benchmark capsule',
    description: `${STEPS} steps`,
    type: 'atomic',
    intent: 'measure the compiler',
    deliverable: { description: 'nothing', format: 'text' },
    params: { topic: { type: 'string', default: 'x' } },
    personas: { writer: 'worker@^1', analyst: 'worker@^1' },
    tools: ['workspace.read'],
    memory: [{ id: 'notes', ref: 'snapshot://bench/notes@1' }],
    budget: { tokens: 50_000_000, costUsd: 1000, wallTime: '1d' },
    steps,
  });
}

const PERSONA = `
id: worker
version: 1.0.0
name: Worker
description: benchmark persona
systemPrompt: You do the work you are given, carefully and completely.
model: { planning: openai/gpt-4.1-mini, implementation: openai/gpt-4.1 }
tools: [workspace.read]
`;

/**
 * Wall-clock samples, plus CPU-time samples: on a shared machine the wall clock includes time
 * spent waiting for a core, so CPU time is the better measure of the compiler's own cost.
 */
async function measure(fn: () => unknown): Promise<number[] & { cpu: number[] }> {
  for (let i = 0; i < WARMUP; i++) await fn();
  const samples: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
    const used = process.cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / 1000);
  }
  return Object.assign(
    samples.sort((a, b) => a - b),
    { cpu: cpu.sort((a, b) => a - b) },
  );
}

export default async function main(): Promise<void> {
  const text = bigCapsule();
  const persona = parsePersona(PERSONA);
  const resolver = createMemoryResolver({ personas: [{ value: persona.value!, source: persona.source }] });
  const parsed = parseCapsule(text, { file: 'bench.yaml' });
  if (!parsed.value)
    throw new Error(`benchmark capsule does not parse: ${JSON.stringify(parsed.diagnostics[0])}`);
  const first = await compileCapsule(parsed.value, { resolver, source: parsed.source });
  if (!first.plan)
    throw new Error(`benchmark capsule does not compile: ${JSON.stringify(first.diagnostics[0])}`);

  const compile = await measure(() => compileCapsule(parsed.value!, { resolver, source: parsed.source }));
  report(`compile ${STEPS}-step capsule, median`, percentile(compile, 50), 'ms', '< 50 ms');
  report(`compile ${STEPS}-step capsule, p99`, percentile(compile, 99), 'ms', '< 50 ms');
  report(`compile ${STEPS}-step capsule, CPU median`, percentile(compile.cpu, 50), 'ms');
  report(`compile ${STEPS}-step capsule, CPU p99`, percentile(compile.cpu, 99), 'ms');

  const full = await measure(async () => {
    const p = parseCapsule(text, { file: 'bench.yaml' });
    return compileCapsule(p.value!, { resolver, source: p.source });
  });
  report(`parse + validate + compile ${STEPS} steps, median`, percentile(full, 50), 'ms');
  report(`parse + validate + compile ${STEPS} steps, p99`, percentile(full, 99), 'ms');

  const forecast = await measure(() => forecastPlan(first.plan!));
  report(`forecast ${STEPS}-step plan (tiktoken), median`, percentile(forecast, 50), 'ms');
  report(`forecast ${STEPS}-step plan (tiktoken), p99`, percentile(forecast, 99), 'ms');
  report('layers / critical path length', first.plan.layers.length, `/ ${first.plan.criticalPath.length}`);
}
