import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import {
  compileFilter,
  countRecords,
  createSearchAttributeRegistry,
  EXECUTION_STATUS_NAMES,
  listPage,
  PageTokenError,
  type VisibilityRecord,
} from '../../../../services/devserver/visibility';

const registry = createSearchAttributeRegistry({ custom: { CustomIntField: 'Int' } });
const T0 = Date.parse('2026-11-01T00:00:00Z');

function records(n: number, seed: number): VisibilityRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const status = EXECUTION_STATUS_NAMES[(i * 7 + seed) % EXECUTION_STATUS_NAMES.length]!;
    return {
      workflowId: `wf-${randomUUID()}`,
      runId: randomUUID(),
      workflowType: i % 2 ? 'capsuleWorkflow' : 'personaWorkflow',
      status,
      // Duplicate start times on purpose: the cursor must still be unique.
      startTime: T0 + Math.floor(i / 3) * 1000,
      closeTime: status === 'Running' ? undefined : T0 + 10_000_000 + i,
      taskQueue: 'somagent',
      historyLength: i,
      searchAttributes: { CustomIntField: i % 5 },
    };
  });
}

const decode = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

describe('countRecords', () => {
  it('counts matches and groups by ExecutionStatus with Keyword payloads', () => {
    const data = records(40, 1);
    const result = countRecords(
      data,
      compileFilter("WorkflowType = 'capsuleWorkflow' GROUP BY ExecutionStatus", registry, {
        purpose: 'count',
      }),
    );
    const capsules = data.filter((r) => r.workflowType === 'capsuleWorkflow');
    expect(result.count).toBe(capsules.length);
    const groups = result.groups.map((g) => [JSON.parse(decode(g.groupValues[0]!.data)) as string, g.count]);
    const expected = new Map<string, number>();
    for (const r of capsules) expected.set(r.status, (expected.get(r.status) ?? 0) + 1);
    expect(new Map(groups as [string, number][])).toEqual(expected);
    expect(groups.map(([, n]) => n)).toEqual(
      [...groups.map(([, n]) => n)].sort((x, y) => (y as number) - (x as number)),
    );
    expect(decode(result.groups[0]!.groupValues[0]!.metadata.type)).toBe('Keyword');
    expect(decode(result.groups[0]!.groupValues[0]!.metadata.encoding)).toBe('json/plain');
  });

  it('has no groups without GROUP BY', () => {
    expect(countRecords(records(5, 0), compileFilter('', registry, { purpose: 'count' }))).toEqual({
      count: 5,
      groups: [],
    });
  });
});

describe('listPage', () => {
  it('pages through every match exactly once, in order, for any page size', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 1, max: 17 }),
        fc.constantFrom('', 'CustomIntField >= 2', 'CustomIntField < 3 ORDER BY StartTime ASC'),
        (n, pageSize, query) => {
          const data = records(n, n);
          const filter = compileFilter(query, registry);
          const expected = data.filter((r) => filter.matches(r)).sort((x, y) => filter.compare(x, y));
          const seen: VisibilityRecord[] = [];
          let token: Uint8Array | undefined;
          for (let guard = 0; guard < 100; guard++) {
            const page = listPage(data, filter, { pageSize, nextPageToken: token });
            expect(page.records.length).toBeLessThanOrEqual(pageSize);
            seen.push(...page.records);
            if (page.nextPageToken.length === 0) break;
            token = page.nextPageToken;
          }
          expect(seen.map((r) => r.runId)).toEqual(expected.map((r) => r.runId));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('keeps the cursor stable when new executions start between pages', () => {
    const data = records(10, 3);
    const filter = compileFilter('ORDER BY StartTime ASC', registry);
    const first = listPage(data, filter, { pageSize: 4 });
    const newer = records(1, 9).map((r) => ({ ...r, startTime: T0 - 1 }));
    const second = listPage([...newer, ...data], filter, { pageSize: 4, nextPageToken: first.nextPageToken });
    const expected = [...data].sort((x, y) => filter.compare(x, y)).slice(4, 8);
    expect(second.records).toEqual(expected);
  });

  it('rejects tokens from another query or garbage', () => {
    const data = records(5, 0);
    const token = listPage(data, compileFilter('', registry), { pageSize: 2 }).nextPageToken;
    expect(() =>
      listPage(data, compileFilter('HistoryLength > 1', registry), { nextPageToken: token }),
    ).toThrow(PageTokenError);
    expect(() => listPage(data, compileFilter('', registry), { nextPageToken: Buffer.from('nope') })).toThrow(
      /invalid next page token/,
    );
  });
});
