/**
 * Workflow of `bench/gate-overhead.bench.ts` (bundled with the SomaGent workflow interceptors):
 * schedules the same activity alternately on a gated and an ungated task queue, first one at a
 * time (latency), then in batches (throughput). Every activity carries a gate-context header,
 * like a persona's, so the gated worker judges it as it would in a capsule run.
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { ExecutionActivities } from '../../activities';
import { buildGateContext } from '../../workflows/gate-context';
import { setGateContextProvider } from '../../workflows/gate-context-interceptor';

export interface GateOverheadInput {
  gatedQueue: string;
  plainQueue: string;
  /** Sequential rounds: one gated and one ungated activity each, the order alternating. */
  rounds: number;
  /** Batch phases per path, each `batchSize` activities in parallel, the paths alternating. */
  batches: number;
  batchSize: number;
}

export async function gateOverheadWorkflow(input: GateOverheadInput): Promise<void> {
  const info = workflowInfo();
  setGateContextProvider(() =>
    buildGateContext({
      tenant: 'bench',
      capsule: { id: 'bench.gate-overhead', version: '1.0.0' },
      persona: { id: 'bench', trustLevel: 0.9 },
      guardrails: {},
      tools: ['workspace.list'],
      spent: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
      limits: { tokens: null, usd: null },
      taint: [],
      trainingMode: false,
      denials: { recent: 0, window: 0 },
      workflowId: info.workflowId,
      runId: info.runId,
      rootWorkflowId: info.workflowId,
      depth: 1,
    }),
  );
  const options = { startToCloseTimeout: '1 minute', retry: { maximumAttempts: 1 } } as const;
  const paths = {
    gated: proxyActivities<ExecutionActivities>({ ...options, taskQueue: input.gatedQueue }),
    plain: proxyActivities<ExecutionActivities>({ ...options, taskQueue: input.plainQueue }),
  };
  // A read-only tool call: cheap to run, so the gate's share of the latency shows.
  const call = (path: 'gated' | 'plain') =>
    paths[path].executeTool({
      toolId: 'workspace.list',
      arguments: {},
      context: { tenant: 'bench', workspaceId: 'bench-gate-overhead' },
    });
  for (let i = 0; i < input.rounds; i += 1) {
    const order: Array<'gated' | 'plain'> = i % 2 === 0 ? ['gated', 'plain'] : ['plain', 'gated'];
    for (const path of order) await call(path);
  }
  for (let i = 0; i < input.batches * 2; i += 1) {
    const path = i % 2 === 0 ? 'gated' : 'plain';
    await Promise.all(Array.from({ length: input.batchSize }, () => call(path)));
  }
}
