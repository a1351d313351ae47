import { status as grpcStatus } from '@grpc/grpc-js';
import type { WorkflowExecutionInfo, WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { rejectionOf, waitForEvents } from '../../support/devserver';
import { useFixtureHarness } from '../../support/devserver-fixtures';
import {
  continueAsNewWorkflow,
  taggedWorkflow,
  threeChildrenWorkflow,
  VIS_KEYS,
} from '../../fixtures/devserver/workflows';
import { finishSignal } from '../../fixtures/devserver/shared';

const { IndexedValueType } = temporal.api.enums.v1;

const suite = useFixtureHarness();

async function collect(query: string, pageSize?: number): Promise<WorkflowExecutionInfo[]> {
  const found: WorkflowExecutionInfo[] = [];
  for await (const info of suite.h.client.workflow.list({ query, ...(pageSize ? { pageSize } : {}) }))
    found.push(info);
  return found;
}

async function ids(query: string): Promise<string[]> {
  return (await collect(query)).map((info) => info.workflowId).sort();
}

/** The gRPC status code of a raw call's error, or of the one a client `ServiceError` wraps. */
function grpcCode(err: unknown): number | undefined {
  const e = err as { code?: number; cause?: { code?: number } };
  return e.code ?? e.cause?.code;
}

/** The error's message with the message of the gRPC error it wraps (the server's text). */
function text(err: unknown): string {
  const e = err as { message?: string; cause?: { message?: string } };
  return `${e.message ?? String(err)} ${e.cause?.message ?? ''}`;
}

beforeAll(async () => {
  await suite.h.client.connection.operatorService.addSearchAttributes({
    namespace: suite.h.namespace,
    searchAttributes: {
      VisStage: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      VisNotes: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
      VisPriority: IndexedValueType.INDEXED_VALUE_TYPE_INT,
      VisReviewedAt: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
    },
  });
});

describe('OperatorService search attributes', () => {
  it('lists registered attributes, treats a re-add with the same type as a no-op and rejects conflicts', async () => {
    const operator = suite.h.client.connection.operatorService;
    const namespace = suite.h.namespace;
    await expect(
      operator.addSearchAttributes({
        namespace,
        searchAttributes: { VisStage: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD },
      }),
    ).resolves.toBeDefined();

    const listed = await operator.listSearchAttributes({ namespace });
    expect(listed.customAttributes).toMatchObject({
      VisStage: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      VisNotes: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
      VisPriority: IndexedValueType.INDEXED_VALUE_TYPE_INT,
      VisReviewedAt: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
      CustomKeywordField: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    });
    expect(listed.systemAttributes).toMatchObject({
      WorkflowId: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      StartTime: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
    });

    const conflict = await rejectionOf(
      operator.addSearchAttributes({
        namespace,
        searchAttributes: { VisStage: IndexedValueType.INDEXED_VALUE_TYPE_INT },
      }),
    );
    expect(grpcCode(conflict)).toBe(grpcStatus.ALREADY_EXISTS);
    expect(text(conflict)).toContain('VisStage already exists with type Keyword');

    const reserved = await rejectionOf(
      operator.addSearchAttributes({
        namespace,
        searchAttributes: { WorkflowId: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD },
      }),
    );
    expect(grpcCode(reserved)).toBe(grpcStatus.INVALID_ARGUMENT);
    expect(text(reserved)).toContain('WorkflowId is reserved');

    await operator.addSearchAttributes({
      namespace,
      searchAttributes: { VisScratch: IndexedValueType.INDEXED_VALUE_TYPE_BOOL },
    });
    await operator.removeSearchAttributes({ namespace, searchAttributes: ['VisScratch'] });
    const after = await operator.listSearchAttributes({ namespace });
    expect(after.customAttributes).not.toHaveProperty('VisScratch');
    const missing = await rejectionOf(
      operator.removeSearchAttributes({ namespace, searchAttributes: ['VisScratch'] }),
    );
    expect(grpcCode(missing)).toBe(grpcStatus.NOT_FOUND);

    // WorkflowService.GetSearchAttributes (the Web UI's call) sees the same registry.
    const keys = (await suite.h.client.connection.workflowService.getSearchAttributes({})).keys;
    expect(keys).toMatchObject({
      VisPriority: IndexedValueType.INDEXED_VALUE_TYPE_INT,
      ExecutionStatus: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    });
  });
});

describe('ListWorkflowExecutions and CountWorkflowExecutions', () => {
  it('filters by system and custom attributes (set at start and upserted), orders, counts and pages', async () => {
    const { h } = suite;
    const tq = suite.worker.taskQueue;
    const inQueue = `TaskQueue = '${tq}'`;
    const before = new Date();
    const start = (label: string, args: Parameters<typeof taggedWorkflow>[0], attrs: object[]) =>
      h.client.workflow.start(taggedWorkflow, {
        taskQueue: tq,
        workflowId: h.workflowId(label),
        args: [args],
        typedSearchAttributes: attrs as never,
      });
    const a = await start('vis-a', {}, [
      { key: VIS_KEYS.stage, value: 'draft' },
      { key: VIS_KEYS.priority, value: 1 },
      { key: VIS_KEYS.notes, value: 'The quick brown fox' },
      { key: VIS_KEYS.reviewedAt, value: new Date('2026-01-01T00:00:00Z') },
    ]);
    await a.result();
    const b = await start(
      'vis-b',
      { upsert: { stage: 'review', priority: 5, reviewedAt: '2026-06-01T00:00:00Z' } },
      [{ key: VIS_KEYS.stage, value: 'draft' }],
    );
    await b.result();
    const c = await start('vis-c', { fail: true }, [
      { key: VIS_KEYS.stage, value: 'broken' },
      { key: VIS_KEYS.priority, value: 9 },
    ]);
    await expect(c.result()).rejects.toThrow();
    const d = await start('vis-d', { hold: true, upsert: { priority: 3 } }, [
      { key: VIS_KEYS.stage, value: 'live' },
    ]);
    await waitForEvents(h, d, ['UPSERT_WORKFLOW_SEARCH_ATTRIBUTES']);
    const after = new Date();
    const all = [a, b, c, d].map((x) => x.workflowId).sort();

    expect(await ids(inQueue)).toEqual(all);
    expect(await ids(`WorkflowId = '${a.workflowId}'`)).toEqual([a.workflowId]);
    expect(await ids(`WorkflowType = 'taggedWorkflow' AND ${inQueue}`)).toEqual(all);
    expect(await ids(`ExecutionStatus = 'Running' AND ${inQueue}`)).toEqual([d.workflowId]);
    expect(await ids(`ExecutionStatus = 'Failed' AND ${inQueue}`)).toEqual([c.workflowId]);
    expect(await ids(`ExecutionStatus = 'Completed' AND ${inQueue}`)).toEqual(
      [a.workflowId, b.workflowId].sort(),
    );
    // Upserted values replace the start-time ones.
    expect(await ids(`VisStage = 'review'`)).toEqual([b.workflowId]);
    expect(await ids(`VisStage = 'draft'`)).toEqual([a.workflowId]);
    expect(await ids(`VisPriority >= 3 AND ${inQueue}`)).toEqual(
      [b.workflowId, c.workflowId, d.workflowId].sort(),
    );
    expect(await ids(`VisNotes = 'brown FOX'`)).toEqual([a.workflowId]);
    expect(await ids(`VisReviewedAt > '2026-03-01T00:00:00Z'`)).toEqual([b.workflowId]);
    expect(await ids(`(VisStage = 'draft' OR VisStage = 'broken') AND ${inQueue}`)).toEqual(
      [a.workflowId, c.workflowId].sort(),
    );
    expect(
      await ids(`StartTime BETWEEN '${before.toISOString()}' AND '${after.toISOString()}' AND ${inQueue}`),
    ).toEqual(all);
    expect(await ids(`CloseTime >= '${before.toISOString()}' AND ${inQueue}`)).toEqual(
      [a.workflowId, b.workflowId, c.workflowId].sort(),
    );
    expect(await ids(`StartTime > '${after.toISOString()}' AND ${inQueue}`)).toEqual([]);

    const ascending = await collect(`${inQueue} ORDER BY StartTime ASC`);
    expect(ascending.map((x) => x.workflowId)).toEqual([a, b, c, d].map((x) => x.workflowId));
    const descending = await collect(`${inQueue} ORDER BY StartTime DESC`);
    expect(descending.map((x) => x.workflowId)).toEqual([d, c, b, a].map((x) => x.workflowId));
    // Default order: running first, then the latest closed.
    expect((await collect(inQueue)).map((x) => x.workflowId)).toEqual([d, c, b, a].map((x) => x.workflowId));

    // Execution info as describe shows it, typed search attributes included.
    const listedB = ascending[1]!;
    expect(listedB).toMatchObject({ type: 'taggedWorkflow', status: { name: 'COMPLETED' }, taskQueue: tq });
    expect(listedB.typedSearchAttributes.get(VIS_KEYS.stage)).toBe('review');
    expect(listedB.typedSearchAttributes.get(VIS_KEYS.priority)).toBe(5);
    expect(listedB.typedSearchAttributes.get(VIS_KEYS.reviewedAt)).toEqual(new Date('2026-06-01T00:00:00Z'));
    expect(listedB.closeTime).toBeInstanceOf(Date);
    expect(listedB.historyLength).toBeGreaterThan(3);

    // Paging: the SDK iterator follows nextPageToken; the raw call shows the pages.
    expect((await collect(inQueue, 1)).map((x) => x.workflowId)).toEqual(
      [d, c, b, a].map((x) => x.workflowId),
    );
    const service = h.client.connection.workflowService;
    const page1 = await service.listWorkflowExecutions({
      namespace: h.namespace,
      query: inQueue,
      pageSize: 3,
    });
    expect(page1.executions).toHaveLength(3);
    expect(page1.nextPageToken?.length).toBeGreaterThan(0);
    const page2 = await service.listWorkflowExecutions({
      namespace: h.namespace,
      query: inQueue,
      pageSize: 3,
      nextPageToken: page1.nextPageToken,
    });
    expect(page2.executions.map((x) => x.execution?.workflowId)).toEqual([a.workflowId]);
    expect(page2.nextPageToken?.length ?? 0).toBe(0);
    const foreignToken = await rejectionOf(
      service.listWorkflowExecutions({
        namespace: h.namespace,
        query: `${inQueue} AND VisPriority > 0`,
        nextPageToken: page1.nextPageToken,
      }),
    );
    expect(grpcCode(foreignToken)).toBe(grpcStatus.INVALID_ARGUMENT);

    // Count, with and without GROUP BY ExecutionStatus.
    await expect(h.client.workflow.count(inQueue)).resolves.toMatchObject({ count: 4, groups: [] });
    const grouped = await h.client.workflow.count(`${inQueue} GROUP BY ExecutionStatus`);
    expect(grouped.count).toBe(4);
    expect(grouped.groups).toEqual([
      { count: 2, groupValues: [['Completed']] },
      { count: 1, groupValues: [['Failed']] },
      { count: 1, groupValues: [['Running']] },
    ]);
    await expect(h.client.workflow.count(`VisPriority < 5 AND ${inQueue}`)).resolves.toMatchObject({
      count: 2,
    });

    await d.signal(finishSignal);
    await d.result();
    expect(await ids(`ExecutionStatus = 'Running' AND ${inQueue}`)).toEqual([]);
    for (const handle of [a, b, c, d]) await h.replay(handle);
  });

  it('describes a run started with untyped (legacy) search attributes with their registered types', async () => {
    const { h } = suite;
    const handle = await h.client.workflow.start(taggedWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId: h.workflowId('vis-legacy'),
      args: [{}],
      // The deprecated untyped form: payloads without `metadata.type`.
      searchAttributes: { VisStage: ['legacy'], VisPriority: [7] },
    });
    await handle.result();
    const described = await handle.describe();
    expect(described.typedSearchAttributes.get(VIS_KEYS.stage)).toBe('legacy');
    expect(described.typedSearchAttributes.get(VIS_KEYS.priority)).toBe(7);
    await h.replay(handle);
  });

  it('answers a malformed query with INVALID_ARGUMENT naming the column', async () => {
    const syntax = await rejectionOf(collect(`WorkflowId = 'x' AND AND`));
    expect(grpcCode(syntax)).toBe(grpcStatus.INVALID_ARGUMENT);
    expect(text(syntax)).toMatch(/invalid query: .*\(column 22, near 'AND'\)/);

    const unknown = await rejectionOf(collect(`NoSuchAttribute = 'x'`));
    expect(text(unknown)).toContain("search attribute 'NoSuchAttribute' is not defined (column 1");

    const mistyped = await rejectionOf(suite.h.client.workflow.count(`VisPriority = 'high'`));
    expect(grpcCode(mistyped)).toBe(grpcStatus.INVALID_ARGUMENT);
    expect(text(mistyped)).toMatch(/column 15/);

    const orderInCount = await rejectionOf(suite.h.client.workflow.count(`ORDER BY StartTime`));
    expect(text(orderInCount)).toContain('ORDER BY is not supported by CountWorkflowExecutions');
  });

  it('lists every run of a continue-as-new chain and children with their parent', async () => {
    const { h } = suite;
    const tq = suite.worker.taskQueue;
    const chain = await h.client.workflow.start(continueAsNewWorkflow, {
      taskQueue: tq,
      workflowId: h.workflowId('vis-can'),
      args: [{ remaining: 2, trail: [] }],
    });
    await chain.result();
    const runs = await collect(`WorkflowId = '${chain.workflowId}' ORDER BY StartTime ASC`);
    expect(runs.map((r) => r.status.name)).toEqual(['CONTINUED_AS_NEW', 'CONTINUED_AS_NEW', 'COMPLETED']);
    expect(new Set(runs.map((r) => r.runId)).size).toBe(3);
    expect(
      await h.client.workflow.count(
        `WorkflowId = '${chain.workflowId}' AND ExecutionStatus = 'ContinuedAsNew'`,
      ),
    ).toMatchObject({
      count: 2,
    });

    const prefix = h.workflowId('vis-kids');
    const parent = await h.client.workflow.start(threeChildrenWorkflow, {
      taskQueue: tq,
      workflowId: prefix,
      args: [{ prefix }],
    });
    await parent.result();
    const children = await collect(`ParentWorkflowId = '${prefix}' ORDER BY StartTime ASC`);
    expect(children.map((c) => c.workflowId).sort()).toEqual([`${prefix}-a`, `${prefix}-b`, `${prefix}-c`]);
    for (const child of children) {
      expect(child.parentExecution).toEqual({ workflowId: prefix, runId: parent.firstExecutionRunId });
      expect(child.rootExecution).toEqual({ workflowId: prefix, runId: parent.firstExecutionRunId });
    }
    expect(await ids(`RootWorkflowId = '${prefix}' AND ExecutionStatus = 'Failed'`)).toEqual([`${prefix}-b`]);
    for (const handle of [chain, parent] as WorkflowHandle[]) await h.replay(handle);
  });

  it('answers the legacy ListOpen / ListClosed calls', async () => {
    const { h } = suite;
    const tq = suite.worker.taskQueue;
    const open = await h.client.workflow.start(taggedWorkflow, {
      taskQueue: tq,
      workflowId: h.workflowId('vis-open'),
      args: [{ hold: true }],
    });
    const service = h.client.connection.workflowService;
    const listedOpen = await service.listOpenWorkflowExecutions({
      namespace: h.namespace,
      executionFilter: { workflowId: open.workflowId },
    });
    expect(listedOpen.executions.map((x) => x.execution?.workflowId)).toEqual([open.workflowId]);
    await open.signal(finishSignal);
    await open.result();
    const listedClosed = await service.listClosedWorkflowExecutions({
      namespace: h.namespace,
      typeFilter: { name: 'taggedWorkflow' },
      statusFilter: {
        status: temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED,
      },
    });
    expect(listedClosed.executions.map((x) => x.execution?.workflowId)).toContain(open.workflowId);
    const stillOpen = await service.listOpenWorkflowExecutions({
      namespace: h.namespace,
      executionFilter: { workflowId: open.workflowId },
    });
    expect(stillOpen.executions).toHaveLength(0);
    await h.replay(open);
  });
});
