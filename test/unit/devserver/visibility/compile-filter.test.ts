import { randomUUID } from 'node:crypto';
import {
  compileFilter,
  createSearchAttributeRegistry,
  DEV_SERVER_CUSTOM_SEARCH_ATTRIBUTES,
  VisibilityQueryError,
  type VisibilityRecord,
} from '../../../../services/devserver/visibility';

const registry = createSearchAttributeRegistry({
  custom: { ...DEV_SERVER_CUSTOM_SEARCH_ATTRIBUTES, Tags: 'KeywordList', Price: 'Double' },
});
const T0 = Date.parse('2026-11-01T00:00:00Z');
const HOUR = 3_600_000;

function record(overrides: Partial<VisibilityRecord> = {}): VisibilityRecord {
  return {
    workflowId: `wf-${randomUUID()}`,
    runId: randomUUID(),
    workflowType: 'capsuleWorkflow',
    status: 'Running',
    startTime: T0,
    taskQueue: 'somagent',
    historyLength: 3,
    searchAttributes: {},
    ...overrides,
  };
}

const a = record({
  workflowType: 'capsuleWorkflow',
  status: 'Completed',
  startTime: T0,
  closeTime: T0 + 2 * HOUR,
  historyLength: 11,
  searchAttributes: {
    CustomKeywordField: 'alpha-1',
    CustomTextField: 'The quick brown Fox',
    CustomIntField: 7,
    CustomBoolField: true,
    CustomDatetimeField: '2026-11-05T10:00:00Z',
    Tags: ['red', 'blue'],
    Price: 9.5,
    TemporalScheduledById: 'sched-1',
  },
});
const b = record({
  workflowType: 'personaWorkflow',
  status: 'Running',
  startTime: T0 + HOUR,
  searchAttributes: { CustomKeywordField: 'beta', CustomIntField: 42, Tags: ['green'] },
});
const c = record({
  workflowType: 'trainingWorkflow',
  status: 'Failed',
  taskQueue: 'other',
  startTime: T0 + 3 * HOUR,
  closeTime: T0 + 4 * HOUR,
  searchAttributes: { CustomTextField: 'slow fox jumps' },
});
const all = [a, b, c];

function select(query: string): VisibilityRecord[] {
  const filter = compileFilter(query, registry);
  return all.filter((r) => filter.matches(r));
}

function compileError(query: string, purpose: 'list' | 'count' = 'list'): VisibilityQueryError {
  try {
    compileFilter(query, registry, { purpose });
  } catch (error) {
    if (error instanceof VisibilityQueryError) return error;
    throw error;
  }
  throw new Error(`expected '${query}' to fail`);
}

describe('compileFilter: matching', () => {
  it.each<[string, VisibilityRecord[]]>([
    ['', all],
    [`WorkflowId = '${a.workflowId}'`, [a]],
    [`RunId != '${a.runId}'`, [b, c]],
    ["WorkflowType = 'personaWorkflow' OR TaskQueue = 'other'", [b, c]],
    ["ExecutionStatus = 'Running'", [b]],
    ["ExecutionStatus = 'completed'", [a]],
    ["ExecutionStatus IN ('Completed', 'Failed')", [a, c]],
    ["ExecutionStatus NOT IN ('Completed', 'Failed')", [b]],
    ["StartTime >= '2026-11-01T01:00:00Z'", [b, c]],
    ["StartTime BETWEEN '2026-11-01T00:30:00Z' AND '2026-11-01T03:00:00.000+00:00'", [b, c]],
    ["StartTime NOT BETWEEN '2026-11-01T00:30:00Z' AND '2026-11-01T02:00:00Z'", [a, c]],
    ["CloseTime < '2026-11-01T03:00:00Z'", [a]],
    ['CloseTime IS NULL', [b]],
    ['CloseTime IS NOT NULL', [a, c]],
    ["ExecutionDuration > '90m'", [a]],
    ['ExecutionDuration <= 3600000000000', [c]],
    ['HistoryLength > 10', [a]],
    ["CustomKeywordField STARTS_WITH 'alpha'", [a]],
    ["CustomKeywordField NOT STARTS_WITH 'alpha'", [b]],
    ["CustomKeywordField > 'alpha-1'", [b]],
    ["CustomTextField = 'fox'", [a, c]],
    ["CustomTextField = 'QUICK fox'", [a]],
    ["CustomTextField = 'quick slow'", []],
    ["CustomTextField != 'quick'", [c]],
    ['CustomIntField IN (7, 8)', [a]],
    ['CustomIntField BETWEEN 10 AND 100', [b]],
    ['CustomBoolField = true', [a]],
    ["CustomBoolField = 'false'", []],
    ['Price > 9', [a]],
    ["CustomDatetimeField > '2026-11-05T09:59:59Z'", [a]],
    ["Tags = 'red'", [a]],
    ["Tags != 'red'", [b]],
    ["Tags IN ('green', 'blue')", [a, b]],
    ["Tags STARTS_WITH 'gr'", [b]],
    ["TemporalScheduledById = 'sched-1'", [a]],
    ["NOT (WorkflowType = 'capsuleWorkflow' OR ExecutionStatus = 'Running')", [c]],
    ["CustomIntField IS NULL AND (CustomTextField = 'fox' OR Tags = 'green')", [c]],
  ])('%s', (query, expected) => {
    expect(select(query)).toEqual(expected);
  });
});

describe('compileFilter: type checking', () => {
  it.each<[string, RegExp, number, string]>([
    ["Nope = 'x'", /search attribute 'Nope' is not defined/, 1, 'Nope'],
    [
      "CustomTextField > 'a'",
      /operator '>' is not supported for Text attribute 'CustomTextField'/,
      1,
      'CustomTextField',
    ],
    ["CustomTextField STARTS_WITH 'a'", /STARTS_WITH' is not supported for Text/, 1, 'CustomTextField'],
    ['CustomIntField STARTS_WITH 1', /STARTS_WITH' is not supported for Int/, 1, 'CustomIntField'],
    ["Tags BETWEEN 'a' AND 'b'", /BETWEEN' is not supported for KeywordList/, 1, 'Tags'],
    ["CustomIntField = 'seven'", /Int attribute 'CustomIntField': expected an integer/, 18, 'seven'],
    ['CustomIntField = 1.5', /expected an integer/, 18, '1.5'],
    ["StartTime > 'yesterday'", /expected an RFC 3339 timestamp/, 13, 'yesterday'],
    ["ExecutionStatus = 'Sleeping'", /expected a status name \(Running, Completed/, 19, 'Sleeping'],
    ['WorkflowId = 3', /expected a quoted string/, 14, '3'],
    ['CustomBoolField = 1', /expected true or false/, 19, '1'],
    ["ExecutionDuration > 'soon'", /expected a duration/, 21, 'soon'],
    ['ORDER BY CustomTextField', /cannot ORDER BY Text attribute/, 10, 'CustomTextField'],
    ['ORDER BY Missing DESC', /'Missing' is not defined/, 10, 'Missing'],
    ['GROUP BY ExecutionStatus', /only supported by CountWorkflowExecutions/, 10, 'GROUP BY'],
  ])('%s is rejected', (query, message, column, token) => {
    const error = compileError(query);
    expect(error.message).toMatch(message);
    expect(error.column).toBe(column);
    expect(error.token).toBe(token);
  });

  it('allows GROUP BY ExecutionStatus only for count, and no ORDER BY there', () => {
    expect(compileFilter('GROUP BY ExecutionStatus', registry, { purpose: 'count' }).groupBy).toEqual([
      'ExecutionStatus',
    ]);
    expect(compileError('GROUP BY WorkflowType', 'count').message).toMatch(
      /only supported for the single attribute 'ExecutionStatus'/,
    );
    expect(compileError('ORDER BY StartTime', 'count').message).toMatch(/ORDER BY is not supported by Count/);
  });
});

describe('compileFilter: ordering', () => {
  it('defaults to running first, then CloseTime DESC, StartTime DESC', () => {
    const filter = compileFilter('', registry);
    const d = record({ status: 'Running', startTime: T0 - HOUR });
    expect([a, b, c, d].sort((x, y) => filter.compare(x, y))).toEqual([b, d, c, a]);
    expect(filter.orderBy.map((o) => o.attribute)).toEqual(['CloseTime', 'StartTime', 'RunId']);
  });

  it('honours ORDER BY with RunId as tie-breaker', () => {
    const asc = compileFilter('ORDER BY StartTime', registry);
    expect([c, a, b].sort((x, y) => asc.compare(x, y))).toEqual([a, b, c]);
    const desc = compileFilter('ORDER BY CustomIntField DESC', registry);
    expect([a, b, c].sort((x, y) => desc.compare(x, y))).toEqual([b, a, c]);
    const twins = [record({ runId: 'b' }), record({ runId: 'a' })];
    expect(twins.sort((x, y) => asc.compare(x, y)).map((r) => r.runId)).toEqual(['a', 'b']);
  });
});
