import { performance } from 'node:perf_hooks';
import { packContext, type ContextMessage, type MessageRole } from '../workflows/context-window';
import {
  decodeGateContext,
  encodeGateContext,
  GATE_CONTEXT_VERSION,
  type GateContext,
} from '../workflows/gate-context';
import { GraphScheduler } from '../workflows/graph-scheduler';
import { statusFromEvents, type RunEvent } from '../workflows/status';
import { percentile, report } from './format';

/**
 * The deterministic workflow core runs inside workflow tasks, which Temporal times out (isolate
 * execution timeout, 5 s by default) and which every replay repeats: each operation must stay in
 * the low milliseconds at realistic sizes.
 */
function sample(runs: number, fn: () => void): number[] {
  for (let i = 0; i < Math.min(20, runs); i++) fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b);
}

export default function bench(): Promise<void> {
  const roles: MessageRole[] = ['user', 'assistant', 'tool', 'assistant'];
  const transcript: ContextMessage[] = [{ role: 'system', content: 'x'.repeat(4000) }];
  for (let i = 0; i < 1000; i++) {
    transcript.push({
      role: roles[i % 4]!,
      content: 'y'.repeat(200 + ((i * 37) % 1800)),
      group: i % 4 === 2 ? `g${i}` : undefined,
    });
  }
  const pack = sample(200, () => packContext(transcript, 32_000));
  report('packContext 1,000 messages, 32k budget p50', percentile(pack, 50), 'ms');
  report('packContext 1,000 messages, 32k budget p99', percentile(pack, 99), 'ms', '< 5 ms');

  const steps = Array.from({ length: 500 }, (_, i) => ({
    id: `s${i}`,
    dependsOn: i === 0 ? [] : [`s${Math.floor((i - 1) / 2)}`],
  }));
  const schedule = sample(50, () => {
    const scheduler = new GraphScheduler(steps, { maxConcurrency: 8 });
    while (!scheduler.done) for (const step of scheduler.takeReady()) scheduler.complete(step.id, step.id);
  });
  report('GraphScheduler 500-step tree, full run p50', percentile(schedule, 50), 'ms');
  report('GraphScheduler 500-step tree, full run p99', percentile(schedule, 99), 'ms', '< 50 ms');

  const context: GateContext = {
    version: GATE_CONTEXT_VERSION,
    tenant: 'acme',
    capsuleId: 'product.launch',
    capsuleVersion: '1.2.0',
    persona: { id: 'analyst', trustLevel: 0.7 },
    guardrails: {
      minThreshold: 0.6,
      deniedTools: ['shell.exec'],
      allowedHosts: ['api.example.com'],
      maxSpendUsd: 5,
    },
    toolSuite: ['workspace.read', 'workspace.write', 'http.request', 'memory.recall', 'delegate', 'finish'],
    budget: { spentUsd: 1.25, limitUsd: 5, spentTokens: 120_000, limitTokens: 1_000_000 },
    taint: ['financial', 'pii'],
    trainingMode: false,
    denials: { recent: 0, window: 20 },
    workflowId: 'wf-bench',
    runId: 'run-bench',
    rootWorkflowId: 'root-bench',
    depth: 2,
  };
  const gate = sample(5000, () => decodeGateContext(encodeGateContext(context)));
  report('gate context encode+decode p50', percentile(gate, 50) * 1000, 'µs');
  report('gate context encode+decode p99', percentile(gate, 99) * 1000, 'µs', '< 500 µs');

  const events: RunEvent[] = [
    { type: 'run.started', at: 't0', capsule: { id: 'c', version: '1' }, tenant: 't', trigger: 'manual' },
    {
      type: 'plan.loaded',
      at: 't1',
      capsule: { id: 'c', version: '1' },
      planHash: 'h',
      steps: steps.slice(0, 50).map((s) => ({ ...s, kind: 'persona' as const, dependsOn: [...s.dependsOn] })),
      budget: { limitUsd: null, limitTokens: null },
    },
  ];
  for (let i = 0; i < 2000; i++) {
    events.push({
      type: 'usage',
      at: `t${i}`,
      workflowId: `wf/s${i % 50}`,
      stepId: `s${i % 50}`,
      own: { inputTokens: i, outputTokens: i, costUsd: i / 1000 },
    });
  }
  // Each event is applied once per workflow task (and once more per replay): per-event cost counts.
  const fold = sample(20, () => statusFromEvents(events)).map((ms) => (ms * 1000) / events.length);
  report('status reducer, 50 steps, per event p50', percentile(fold, 50), 'µs');
  report('status reducer, 50 steps, per event p99', percentile(fold, 99), 'µs', '< 100 µs');
  return Promise.resolve();
}
