import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import {
  cancelActivityAck,
  completeActivity,
  dispatchEagerActivities,
  failActivity,
  heartbeatActivity,
  resolveActivityToken,
  startActivity,
} from './activities';
import { createActivityByIdHandlers } from './activity-by-id';
import {
  clearStickyBinding,
  transact,
  queueKey,
  type ActivityQueueTask,
  type EngineContext,
  type WorkflowQueueTask,
} from './context';
import { createClusterHandlers } from './cluster-api';
import { DevServerError, InvalidArgumentError, NotFoundError } from './errors';
import { getHistory, getHistoryReverse, type CallContext } from './history-api';
import { eagerWorkflowTask } from './eager-start';
import { createMultiOperationHandler } from './multi-operation';
import { describeNamespace, NamespaceAlreadyExistsError, NamespaceRegistry } from './namespaces';
import type { Msg } from './proto';
import { answerLegacyQuery, dropQuery, queryResponse, submitQuery } from './queries';
import { SERVER_VERSION } from './server-version';
import { createScheduleHandlers } from './schedules-api';
import { RUNNING, runKey, workflowKey } from './state';
import type { TaskQueues } from './task-queues';
import { recordPoll } from './task-queue-pollers';
import { decodeTaskToken } from './task-token';
import { createUpdateHandlers } from './update-api';
import { protoTimeToMs, type ProtoTime } from './time';
import {
  completeWorkflowTask,
  failWorkflowTask,
  resolveWorkflowTaskToken,
  startQueryTask,
  startWorkflowTask,
} from './workflow-tasks';
import { createVisibilityHandlers, describeWithTypedSearchAttributes } from './visibility-api';
import {
  findRun,
  releaseStickyQueue,
  requestCancelRun,
  signalAttributes,
  signalRun,
  startWorkflow,
  terminateRun,
} from './workflows';

/** A unary RPC implementation over plain-object messages. */
export type Handler = (req: Msg, call: CallContext) => Promise<Msg> | Msg;

export { SERVER_VERSION } from './server-version';

function requireString(req: Msg, field: string): string {
  const value = req[field];
  if (typeof value !== 'string' || value === '') throw new InvalidArgumentError(`${field} is required`);
  return value;
}

function identityOf(req: Msg): string {
  return (req.identity as string | undefined) ?? '';
}

/** Long-polls a task queue: a waiting task at once, else parks until one arrives or the poll ends. */
function pollQueue<T>(
  ctx: EngineContext,
  queues: TaskQueues<T>,
  key: string,
  call: CallContext,
  handOut: (task: T) => Promise<Msg>,
): Promise<Msg> {
  const ready = queues.take(key);
  if (ready !== undefined) return handOut(ready);
  return new Promise<Msg>((resolve, reject) => {
    let done = false;
    const finish = (): boolean => {
      if (done) return false;
      done = true;
      clearTimeout(timer);
      call.signal.removeEventListener('abort', onAbort);
      unpark();
      return true;
    };
    const onAbort = (): void => {
      if (finish()) resolve({});
    };
    const unpark = queues.park(key, {
      deliver: (task) => {
        if (finish()) handOut(task).then(resolve, reject);
      },
      release: () => {
        if (finish()) resolve({});
      },
    });
    const timer = setTimeout(() => {
      if (finish()) resolve({});
    }, ctx.options.longPollMs);
    timer.unref();
    call.signal.addEventListener('abort', onAbort);
  });
}

/** Builds the WorkflowService handlers over an engine context. */
export function createWorkflowServiceHandlers(ctx: EngineContext): Record<string, Handler> {
  const ns = (req: Msg): string => ctx.namespaces.require(req.namespace).name;

  const handOutWorkflowTask =
    (req: Msg) =>
    (task: WorkflowQueueTask): Promise<Msg> =>
      transact(ctx, () => {
        const run = ctx.runs.get(task.run);
        if (!run) return {};
        if (task.kind === 'wft') return startWorkflowTask(ctx, run, identityOf(req), randomUUID());
        const query = run.queries.get(task.queryId);
        if (!query) return {};
        return startQueryTask(run, query, task.queue !== run.state.taskQueue);
      });

  const handOutActivityTask =
    (req: Msg) =>
    (task: ActivityQueueTask): Promise<Msg> =>
      transact(ctx, () => {
        const run = ctx.runs.get(task.run);
        const activity = run?.state.activities[task.scheduledEventId];
        if (!run || !activity) return {};
        return startActivity(ctx, run, activity, identityOf(req), randomUUID());
      });

  return {
    ...createVisibilityHandlers(ctx),
    ...createClusterHandlers(ctx),

    ...createScheduleHandlers(ctx),
    GetSystemInfo: () => ({
      serverVersion: SERVER_VERSION,
      capabilities: {
        signalAndQueryHeader: true,
        internalErrorDifferentiation: true,
        activityFailureIncludeHeartbeat: true,
        encodedFailureAttributes: true,
        upsertMemo: true,
        sdkMetadata: true,
        supportsSchedules: true,
        eagerWorkflowStart: true,
        buildIdBasedVersioning: false,
        countGroupByExecutionStatus: true,
        nexus: false,
      },
    }),

    DescribeNamespace: (req) => {
      const id = req.id as string | undefined;
      const record =
        id && !req.namespace ? ctx.namespaces.findById(id) : ctx.namespaces.require(req.namespace);
      if (!record) throw new NotFoundError(`namespace with id ${id} not found`);
      return describeNamespace(record);
    },

    RegisterNamespace: (req) =>
      transact(ctx, () => {
        const name = requireString(req, 'namespace');
        if (ctx.namespaces.has(name)) throw new NamespaceAlreadyExistsError(name);
        const record = NamespaceRegistry.create(name, {
          description: req.description as string | undefined,
          ownerEmail: req.ownerEmail as string | undefined,
          retentionMs: protoTimeToMs(req.workflowExecutionRetentionPeriod as ProtoTime | undefined),
        });
        ctx.namespaces.put(record);
        ctx.dirtyNamespaces.push(record);
        return {};
      }),

    StartWorkflowExecution: (req) =>
      transact(ctx, () => {
        const { run, started } = startWorkflow(ctx, ns(req), req);
        return { runId: run.state.runId, started, ...eagerWorkflowTask(ctx, run, started, req) };
      }),

    SignalWithStartWorkflowExecution: (req) =>
      transact(ctx, () => {
        const namespace = ns(req);
        requireString(req, 'workflowId');
        requireString(req, 'signalName');
        const current = ctx.current.get(workflowKey(namespace, req.workflowId as string));
        if (current?.state.status === RUNNING) {
          signalRun(ctx, current, req);
          return { runId: current.state.runId, started: false };
        }
        const { run, started } = startWorkflow(ctx, namespace, req, signalAttributes(req));
        if (typeof req.requestId === 'string' && req.requestId)
          run.state.signalRequestIds.push(req.requestId);
        return { runId: run.state.runId, started };
      }),

    SignalWorkflowExecution: (req) =>
      transact(ctx, () => {
        const run = findRun(ctx, ns(req), req.workflowExecution as Msg);
        signalRun(ctx, run, req);
        return {};
      }),

    RequestCancelWorkflowExecution: (req) =>
      transact(ctx, () => {
        const run = findRun(ctx, ns(req), req.workflowExecution as Msg);
        requestCancelRun(ctx, run, req);
        return {};
      }),

    TerminateWorkflowExecution: (req) =>
      transact(ctx, () => {
        const run = findRun(ctx, ns(req), req.workflowExecution as Msg);
        const first = req.firstExecutionRunId as string | undefined;
        if (first && first !== run.state.firstExecutionRunId) {
          throw new NotFoundError(`workflow execution not found for firstExecutionRunId ${first}`);
        }
        terminateRun(ctx, run, (req.reason as string | undefined) ?? '', req.details, identityOf(req));
        return {};
      }),

    DescribeWorkflowExecution: (req) =>
      describeWithTypedSearchAttributes(ctx, findRun(ctx, ns(req), req.execution as Msg)),

    GetWorkflowExecutionHistory: (req, call) => getHistory(ctx, ns(req), req, call),
    GetWorkflowExecutionHistoryReverse: (req) => getHistoryReverse(ctx, ns(req), req),

    QueryWorkflow: async (req, call) => {
      const run = findRun(ctx, ns(req), req.execution as Msg);
      const submitted = await transact(ctx, () => submitQuery(ctx, run, req));
      if ('rejected' in submitted) return submitted.rejected;
      let timer: NodeJS.Timeout | undefined;
      const gaveUp = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), ctx.options.queryTimeoutMs);
        timer.unref();
        call.signal.addEventListener('abort', () => resolve('timeout'));
      });
      const outcome = await Promise.race([submitted.outcome, gaveUp]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        dropQuery(run, submitted.queryId);
        throw new DevServerError(status.DEADLINE_EXCEEDED, 'query timed out: no worker answered it in time');
      }
      return queryResponse(outcome);
    },

    PollWorkflowTaskQueue: (req, call) => {
      const namespace = ns(req);
      const name = (req.taskQueue as { name?: string } | undefined)?.name;
      if (!name) throw new InvalidArgumentError('taskQueue.name is required');
      recordPoll(ctx, 'workflow', namespace, name, identityOf(req));
      return pollQueue(ctx, ctx.workflowQueues, queueKey(namespace, name), call, handOutWorkflowTask(req));
    },

    RespondWorkflowTaskCompleted: (req) =>
      transact(ctx, () => {
        const token = decodeTaskToken(req.taskToken, 'w');
        if (token.k !== 'w') throw new InvalidArgumentError('taskToken is not a workflow task token');
        const run = resolveWorkflowTaskToken(ctx, token);
        const eager: NonNullable<EngineContext['eagerActivities']> = [];
        ctx.eagerActivities = eager;
        try {
          completeWorkflowTask(ctx, run, req);
        } catch (err) {
          dispatchEagerActivities(ctx, eager, identityOf(req), false);
          throw err;
        } finally {
          ctx.eagerActivities = undefined;
        }
        return { activityTasks: dispatchEagerActivities(ctx, eager, identityOf(req), true) };
      }),

    RespondWorkflowTaskFailed: (req) =>
      transact(ctx, () => {
        const token = decodeTaskToken(req.taskToken, 'w');
        if (token.k !== 'w') throw new InvalidArgumentError('taskToken is not a workflow task token');
        failWorkflowTask(ctx, resolveWorkflowTaskToken(ctx, token), req);
        return {};
      }),

    RespondQueryTaskCompleted: (req) => {
      const token = decodeTaskToken(req.taskToken, 'q');
      if (token.k !== 'q') throw new InvalidArgumentError('taskToken is not a query task token');
      const run = ctx.runs.get(runKey(token.ns, token.r));
      if (!run || !answerLegacyQuery(run, token.q, req))
        throw new NotFoundError('query task not found (the query timed out)');
      return {};
    },

    PollActivityTaskQueue: (req, call) => {
      const namespace = ns(req);
      const name = (req.taskQueue as { name?: string } | undefined)?.name;
      if (!name) throw new InvalidArgumentError('taskQueue.name is required');
      recordPoll(ctx, 'activity', namespace, name, identityOf(req));
      return pollQueue(ctx, ctx.activityQueues, queueKey(namespace, name), call, handOutActivityTask(req));
    },

    RespondActivityTaskCompleted: (req) =>
      transact(ctx, () => {
        const { run, activity } = resolveActivityToken(ctx, activityToken(req));
        completeActivity(ctx, run, activity, req.result, identityOf(req));
        return {};
      }),

    RespondActivityTaskFailed: (req) =>
      transact(ctx, () => {
        const { run, activity } = resolveActivityToken(ctx, activityToken(req));
        const failure = (req.failure as Msg | undefined) ?? { message: 'activity failed without a failure' };
        failActivity(
          ctx,
          run,
          activity,
          failure,
          (req.lastHeartbeatDetails as Msg | undefined) ?? null,
          identityOf(req),
        );
        return { failures: [] };
      }),

    RespondActivityTaskCanceled: (req) =>
      transact(ctx, () => {
        const { run, activity } = resolveActivityToken(ctx, activityToken(req));
        cancelActivityAck(ctx, run, activity, req.details, identityOf(req));
        return {};
      }),

    RecordActivityTaskHeartbeat: (req) =>
      transact(ctx, () => {
        const { run, activity } = resolveActivityToken(ctx, activityToken(req));
        const cancelRequested = heartbeatActivity(
          ctx,
          run,
          activity,
          (req.details as Msg | undefined) ?? null,
        );
        return { cancelRequested, activityPaused: false, activityReset: false };
      }),

    ...createActivityByIdHandlers(ctx),

    ShutdownWorker: (req) =>
      transact(ctx, () => {
        const sticky = req.stickyTaskQueue as string | undefined;
        if (sticky) releaseStickyQueue(ctx, ns(req), sticky);
        return {};
      }),

    ResetStickyTaskQueue: (req) =>
      transact(ctx, () => {
        const run = findRun(ctx, ns(req), req.execution as Msg);
        clearStickyBinding(ctx, run);
        return {};
      }),

    ...createUpdateHandlers(ctx),
    ExecuteMultiOperation: createMultiOperationHandler(ctx),
  };
}

function activityToken(req: Msg): Extract<ReturnType<typeof decodeTaskToken>, { k: 'a' }> {
  const token = decodeTaskToken(req.taskToken, 'a');
  if (token.k !== 'a') throw new InvalidArgumentError('taskToken is not an activity task token');
  return token;
}

/** grpc.health.v1.Health handlers: always SERVING while the server runs. */
export function createHealthHandlers(): Record<string, Handler> {
  return { Check: () => ({ status: 'SERVING' }) };
}
