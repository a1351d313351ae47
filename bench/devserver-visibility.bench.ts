import { performance } from 'node:perf_hooks';
import { nextFireTimes } from '../services/devserver/schedules';
import {
  compileFilter,
  countRecords,
  createSearchAttributeRegistry,
  DEV_SERVER_CUSTOM_SEARCH_ATTRIBUTES,
  EXECUTION_STATUS_NAMES,
  listPage,
  type VisibilityRecord,
} from '../services/devserver/visibility';
import { percentile, report } from './format';

const RECORDS = 10_000;
const T0 = Date.parse('2026-11-01T00:00:00Z');

function records(): VisibilityRecord[] {
  const types = ['capsuleWorkflow', 'personaWorkflow', 'trainingWorkflow'];
  return Array.from({ length: RECORDS }, (_, i) => {
    const status = EXECUTION_STATUS_NAMES[i % EXECUTION_STATUS_NAMES.length]!;
    return {
      workflowId: `wf-${i}`,
      runId: `run-${i.toString().padStart(6, '0')}`,
      workflowType: types[i % types.length]!,
      status,
      startTime: T0 + i * 1000,
      closeTime: status === 'Running' ? undefined : T0 + i * 1000 + 60_000,
      taskQueue: i % 10 === 0 ? 'other' : 'somagent',
      historyLength: i % 50,
      searchAttributes: {
        CustomKeywordField: `tenant-${i % 20}`,
        CustomTextField: `agent run number ${i} for tenant ${i % 20}`,
        CustomIntField: i % 100,
        CustomDatetimeField: new Date(T0 + i * 60_000).toISOString(),
      },
    };
  });
}

const QUERIES = [
  "WorkflowType = 'capsuleWorkflow' AND ExecutionStatus = 'Running'",
  "StartTime BETWEEN '2026-11-01T01:00:00Z' AND '2026-11-01T02:00:00Z' ORDER BY StartTime ASC",
  "(CustomKeywordField IN ('tenant-1', 'tenant-2') OR CustomIntField > 90) AND TaskQueue != 'other'",
  "CustomTextField = 'tenant 7' AND CloseTime IS NOT NULL",
  "WorkflowId STARTS_WITH 'wf-99'",
];

function time(fn: () => void, iterations: number): number[] {
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    fn();
    samples.push(performance.now() - start);
  }
  return samples.sort((a, b) => a - b);
}

/** Compile and evaluate list filters over 10,000 executions; schedule fire-time enumeration. */
export default function run(): Promise<void> {
  const registry = createSearchAttributeRegistry({ custom: DEV_SERVER_CUSTOM_SEARCH_ATTRIBUTES });
  const data = records();

  const compile = time(() => {
    for (const q of QUERIES) compileFilter(q, registry);
  }, 2000);
  report('visibility compile (per query, p50)', (percentile(compile, 50) / QUERIES.length) * 1000, 'µs');

  for (const [i, query] of QUERIES.entries()) {
    const filter = compileFilter(query, registry);
    const scan = time(() => {
      let n = 0;
      for (const r of data) if (filter.matches(r)) n++;
      if (n < 0) throw new Error('unreachable');
    }, 50);
    report(`visibility scan 10k, query ${i + 1} (p50)`, percentile(scan, 50), 'ms', '< 10 ms');
  }

  const listFilter = compileFilter(QUERIES[2]!, registry);
  const list = time(() => listPage(data, listFilter, { pageSize: 100 }), 30);
  report('visibility list page of 100 over 10k (p50)', percentile(list, 50), 'ms', '< 50 ms');
  report('visibility list page of 100 over 10k (p99)', percentile(list, 99), 'ms');

  const countFilter = compileFilter('GROUP BY ExecutionStatus', registry, { purpose: 'count' });
  const count = time(() => countRecords(data, countFilter), 50);
  report('visibility count group by status 10k (p50)', percentile(count, 50), 'ms', '< 10 ms');

  const spec = { cronString: ['*/5 9-17 * * MON-FRI'], timezoneName: 'America/New_York', jitterMs: 30_000 };
  const fires = time(() => nextFireTimes(spec, T0, 10, { scheduleId: 'bench' }), 200);
  report('schedule 10 future times, tz + jitter (p50)', percentile(fires, 50), 'ms', '< 5 ms');
  return Promise.resolve();
}
