import { performance } from 'node:perf_hooks';
import type { EngineContext } from '../services/devserver/context';
import { createEngine, DEFAULT_ENGINE_OPTIONS, stopEngine } from '../services/devserver/engine';
import type { CallContext } from '../services/devserver/history-api';
import { createMemoryStore } from '../services/devserver/memory-store';
import type { Msg } from '../services/devserver/proto';
import { createWorkflowServiceHandlers, type Handler } from '../services/devserver/service';
import { encodeSearchAttributePayload } from '../services/devserver/visibility';
import { createLogger } from '../services/logger';
import { percentile, report } from './format';

const RUNS = 10_000;
const call: CallContext = { signal: new AbortController().signal };

async function timeAsync(fn: () => Promise<unknown>, iterations: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  return samples.sort((a, b) => a - b);
}

/**
 * The wired visibility RPCs over an engine holding 10,000 runs (in memory, started through the
 * StartWorkflowExecution handler with a Keyword search attribute): List pages, Count with
 * GROUP BY. Measures the engine side (records from run state, execution info per page), not gRPC.
 */
export default async function run(): Promise<void> {
  const ctx: EngineContext = await createEngine({
    store: createMemoryStore(),
    logger: createLogger({ level: 'silent' }),
    options: DEFAULT_ENGINE_OPTIONS,
  });
  try {
    const rpc: Record<string, Handler> = createWorkflowServiceHandlers(ctx);
    const invoke = async (method: string, req: Msg) => rpc[method]!({ namespace: 'default', ...req }, call);
    const started = performance.now();
    for (let i = 0; i < RUNS; i++) {
      await invoke('StartWorkflowExecution', {
        workflowId: `bench-${i}`,
        workflowType: { name: i % 3 === 0 ? 'capsuleWorkflow' : 'personaWorkflow' },
        taskQueue: { name: 'bench' },
        requestId: `req-${i}`,
        searchAttributes: {
          indexedFields: { CustomKeywordField: encodeSearchAttributePayload(`tenant-${i % 20}`, 'Keyword') },
        },
      });
    }
    report(`start ${RUNS} runs through the handler`, RUNS / ((performance.now() - started) / 1000), 'runs/s');

    const cases: [string, Msg][] = [
      ['list page of 100, no query (sorts all)', { pageSize: 100 }],
      [
        "list page of 100, CustomKeywordField = 'tenant-3'",
        { pageSize: 100, query: "CustomKeywordField = 'tenant-3'" },
      ],
      [
        'list page of 100, WorkflowType + ORDER BY StartTime',
        { pageSize: 100, query: "WorkflowType = 'capsuleWorkflow' ORDER BY StartTime ASC" },
      ],
    ];
    for (const [label, req] of cases) {
      const samples = await timeAsync(() => invoke('ListWorkflowExecutions', req), 30);
      report(`${label} over 10k runs (p50)`, percentile(samples, 50), 'ms', '< 100 ms');
    }
    const count = await timeAsync(
      () => invoke('CountWorkflowExecutions', { query: 'GROUP BY ExecutionStatus' }),
      30,
    );
    report('count GROUP BY ExecutionStatus over 10k runs (p50)', percentile(count, 50), 'ms', '< 50 ms');
  } finally {
    stopEngine(ctx);
  }
}
