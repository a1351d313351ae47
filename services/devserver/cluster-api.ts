import type { EngineContext } from './context';
import { InvalidArgumentError } from './errors';
import { describeNamespace } from './namespaces';
import type { Msg } from './proto';
import { SERVER_VERSION } from './server-version';
import type { Handler } from './service';
import { RUNNING } from './state';
import { recentPollers, type PollKind } from './task-queue-pollers';
import { msToDuration, msToTimestamp } from './time';

/** Client versions the server accepts, as the real server's version checker lists them. */
const SUPPORTED_CLIENTS: Readonly<Record<string, string>> = {
  'temporal-cli': '<2.0.0',
  'temporal-go': '<2.0.0',
  'temporal-java': '<2.0.0',
  'temporal-php': '<2.0.0',
  'temporal-python': '<2.0.0',
  'temporal-typescript': '<2.0.0',
  'temporal-dotnet': '<2.0.0',
  'temporal-server': '<2.0.0',
  'temporal-ui': '<3.0.0',
};

/** Dispatch rate a queue advertises (the real server's default, i.e. unlimited in practice). */
const DEFAULT_RATE_PER_SECOND = 100_000;
/** ListNamespaces page size when the request asks for none. */
const DEFAULT_NAMESPACE_PAGE_SIZE = 100;

const TASK_QUEUE_TYPES: Readonly<Record<string, { kind: PollKind; number: number }>> = {
  TASK_QUEUE_TYPE_WORKFLOW: { kind: 'workflow', number: 1 },
  TASK_QUEUE_TYPE_ACTIVITY: { kind: 'activity', number: 2 },
};

/** Tasks waiting on a queue now (due, not handed out) and how long the oldest has waited. */
function backlog(
  ctx: EngineContext,
  kind: PollKind,
  namespace: string,
  queue: string,
  nowMs: number,
): { count: number; oldestMs: number } {
  let count = 0;
  let oldestMs = nowMs;
  for (const run of ctx.runs.values()) {
    const s = run.state;
    if (s.namespace !== namespace || s.status !== RUNNING) continue;
    if (kind === 'workflow') {
      const wft = s.workflowTask;
      if (wft?.state === 'scheduled' && wft.queue === queue && wft.notBeforeMs <= nowMs) {
        count += 1;
        oldestMs = Math.min(oldestMs, wft.scheduledTimeMs);
      }
      continue;
    }
    for (const activity of Object.values(s.activities)) {
      if (activity.state === 'scheduled' && activity.taskQueue === queue) {
        count += 1;
        oldestMs = Math.min(oldestMs, activity.attemptScheduledTimeMs);
      }
    }
  }
  return { count, oldestMs };
}

function describeQueueType(
  ctx: EngineContext,
  kind: PollKind,
  namespace: string,
  queue: string,
): { pollers: Msg[]; stats: Msg; backlogCount: number } {
  const now = Date.now();
  const pollers = recentPollers(ctx, kind, namespace, queue, now).map((p) => ({
    identity: p.identity,
    lastAccessTime: msToTimestamp(p.lastAccessMs),
    ratePerSecond: DEFAULT_RATE_PER_SECOND,
  }));
  const { count, oldestMs } = backlog(ctx, kind, namespace, queue, now);
  return {
    pollers,
    backlogCount: count,
    stats: {
      approximateBacklogCount: count,
      approximateBacklogAge: msToDuration(now - oldestMs),
      tasksAddRate: 0,
      tasksDispatchRate: 0,
    },
  };
}

function decodeNamespacePageToken(token: unknown): number {
  if (!Buffer.isBuffer(token) || token.length === 0) return 0;
  const offset = Number(token.toString('utf8'));
  if (!Number.isInteger(offset) || offset < 0) {
    throw new InvalidArgumentError(
      'nextPageToken is malformed: pass back the token of the previous page unchanged',
    );
  }
  return offset;
}

/**
 * The read calls the Temporal Web UI makes besides visibility: cluster info, task-queue
 * pollers and backlog, and the paged namespace list.
 */
export function createClusterHandlers(ctx: EngineContext): Record<string, Handler> {
  return {
    GetClusterInfo: () => {
      const persistence = ctx.store.kind === 'postgres' ? 'postgres12' : 'memory';
      return {
        supportedClients: SUPPORTED_CLIENTS,
        serverVersion: SERVER_VERSION,
        // Stable across restarts on PostgreSQL: the persisted `default` namespace's id.
        clusterId: ctx.namespaces.require('default').id,
        clusterName: 'active',
        historyShardCount: 1,
        persistenceStore: persistence,
        visibilityStore: persistence,
        initialFailoverVersion: 1,
        failoverVersionIncrement: 10,
      };
    },

    DescribeTaskQueue: (req) => {
      const namespace = ctx.namespaces.require(req.namespace).name;
      const queue = (req.taskQueue as { name?: string } | undefined)?.name;
      if (!queue) throw new InvalidArgumentError('taskQueue.name is required');
      if (req.apiMode === 'DESCRIBE_TASK_QUEUE_MODE_ENHANCED') {
        const requested = (req.taskQueueTypes as string[] | undefined) ?? [];
        const types = requested.length > 0 ? requested : Object.keys(TASK_QUEUE_TYPES);
        const typesInfo: Record<string, Msg> = {};
        for (const type of types) {
          const known = TASK_QUEUE_TYPES[type];
          if (!known) continue;
          const { pollers, stats } = describeQueueType(ctx, known.kind, namespace, queue);
          typesInfo[String(known.number)] = { pollers, ...(req.reportStats ? { stats } : {}) };
        }
        // Unversioned workers only: everything lives under the empty build id.
        return { versionsInfo: { '': { typesInfo } } };
      }
      const type =
        TASK_QUEUE_TYPES[(req.taskQueueType as string | undefined) ?? ''] ??
        TASK_QUEUE_TYPES.TASK_QUEUE_TYPE_WORKFLOW!;
      const { pollers, stats, backlogCount } = describeQueueType(ctx, type.kind, namespace, queue);
      return {
        pollers,
        ...(req.reportStats ? { stats } : {}),
        ...(req.includeTaskQueueStatus
          ? {
              taskQueueStatus: {
                backlogCountHint: backlogCount,
                readLevel: 0,
                ackLevel: 0,
                ratePerSecond: DEFAULT_RATE_PER_SECOND,
              },
            }
          : {}),
      };
    },

    ListNamespaces: (req) => {
      const all = ctx.namespaces.list();
      const offset = decodeNamespacePageToken(req.nextPageToken);
      const pageSize = (req.pageSize as number | undefined) || DEFAULT_NAMESPACE_PAGE_SIZE;
      const page = all.slice(offset, offset + pageSize);
      const next = offset + page.length;
      return {
        namespaces: page.map(describeNamespace),
        nextPageToken: next < all.length ? Buffer.from(String(next), 'utf8') : undefined,
      };
    },
  };
}
