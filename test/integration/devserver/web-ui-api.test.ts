import { temporal } from '@temporalio/proto';
import { waitFor } from '../../support/devserver';
import { useFixtureHarness } from '../../support/devserver-fixtures';
import { greetWorkflow } from '../../fixtures/devserver/workflows';

const { TaskQueueType, DescribeTaskQueueMode } = temporal.api.enums.v1;

// The read calls the Temporal Web UI server makes when it attaches to a cluster over gRPC.
const suite = useFixtureHarness();

describe('Web UI read calls', () => {
  it('GetClusterInfo and GetSystemInfo describe the server', async () => {
    const service = suite.h.client.connection.workflowService;
    const info = await service.getClusterInfo({});
    expect(info.serverVersion).toMatch(/somagent-devserver/);
    expect(info.clusterName).toBe('active');
    expect(info.historyShardCount).toBe(1);
    expect(info.persistenceStore).toBe('memory');
    expect(info.visibilityStore).toBe('memory');
    expect(info.supportedClients).toMatchObject({ 'temporal-typescript': '<2.0.0', 'temporal-ui': '<3.0.0' });
    const namespace = await service.describeNamespace({ namespace: 'default' });
    expect(info.clusterId).toBe(namespace.namespaceInfo?.id);

    const system = await service.getSystemInfo({});
    expect(system.capabilities?.countGroupByExecutionStatus).toBe(true);
  });

  it('DescribeTaskQueue reports recent pollers and the backlog', async () => {
    const { h, worker } = suite;
    const service = h.client.connection.workflowService;
    const identity = worker.worker.options.identity;
    const describe = (name: string, taskQueueType: temporal.api.enums.v1.TaskQueueType) =>
      service.describeTaskQueue({
        namespace: h.namespace,
        taskQueue: { name },
        taskQueueType,
        includeTaskQueueStatus: true,
        reportStats: true,
      });

    for (const type of [TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY]) {
      let pollers: temporal.api.taskqueue.v1.IPollerInfo[] = [];
      await waitFor(`a ${TaskQueueType[type]} poller`, async () => {
        pollers = (await describe(worker.taskQueue, type)).pollers;
        return pollers.length > 0;
      });
      expect(pollers.map((p) => p.identity)).toContain(identity);
      const lastAccess = Number(pollers[0]!.lastAccessTime!.seconds) * 1000;
      expect(Math.abs(Date.now() - lastAccess)).toBeLessThan(120_000);
    }

    // A queue nobody polls: the started workflow's first task waits in the backlog.
    const idle = h.taskQueue('idle');
    const handle = await h.client.workflow.start(greetWorkflow, {
      taskQueue: idle,
      workflowId: h.workflowId('backlog'),
      args: [{ name: 'x' }],
    });
    const idleQueue = await describe(idle, TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW);
    expect(idleQueue.pollers).toEqual([]);
    expect(Number(idleQueue.taskQueueStatus?.backlogCountHint)).toBe(1);
    expect(Number(idleQueue.stats?.approximateBacklogCount)).toBe(1);
    const activityQueue = await describe(idle, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY);
    expect(Number(activityQueue.taskQueueStatus?.backlogCountHint)).toBe(0);

    // The enhanced mode groups pollers and stats per queue type under the unversioned build id.
    const enhanced = await service.describeTaskQueue({
      namespace: h.namespace,
      taskQueue: { name: worker.taskQueue },
      apiMode: DescribeTaskQueueMode.DESCRIBE_TASK_QUEUE_MODE_ENHANCED,
      reportStats: true,
    });
    const types = enhanced.versionsInfo?.['']?.typesInfo ?? {};
    expect(types[TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW]?.pollers?.map((p) => p.identity)).toContain(
      identity,
    );
    expect(types[TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY]?.pollers?.map((p) => p.identity)).toContain(
      identity,
    );

    await handle.terminate('backlog checked');
    const drained = await describe(idle, TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW);
    expect(Number(drained.taskQueueStatus?.backlogCountHint)).toBe(0);
  });

  it('ListNamespaces pages', async () => {
    const { h } = suite;
    const service = h.client.connection.workflowService;
    const created = [h.workflowId('ns-one'), h.workflowId('ns-two')];
    for (const namespace of created) {
      await service.registerNamespace({ namespace });
    }
    const names: string[] = [];
    let nextPageToken: Uint8Array | undefined;
    let pages = 0;
    do {
      const page = await service.listNamespaces({ pageSize: 1, ...(nextPageToken ? { nextPageToken } : {}) });
      expect(page.namespaces.length).toBeLessThanOrEqual(1);
      names.push(...page.namespaces.map((n) => n.namespaceInfo?.name ?? ''));
      nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
      pages += 1;
    } while (nextPageToken && pages < 10);
    expect(names).toEqual(['default', ...created]);
    expect(pages).toBe(3);
  });
});
