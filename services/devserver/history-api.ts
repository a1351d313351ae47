import type { EngineContext } from './context';
import { InvalidArgumentError } from './errors';
import { eventAttributes } from './history';
import type { Msg } from './proto';
import { RUNNING, type HistoryEvent, type Run } from './state';
import { msToDuration, msToTimestamp } from './time';
import { findRun } from './workflows';

/** Page size when the caller does not ask for one. */
const DEFAULT_PAGE_SIZE = 1000;

interface PageToken {
  r: string;
  n: number;
}

function decodePageToken(bytes: unknown): PageToken | undefined {
  if (!Buffer.isBuffer(bytes) || bytes.length === 0) return undefined;
  try {
    const token = JSON.parse(bytes.toString('utf8')) as PageToken;
    if (typeof token.r === 'string' && typeof token.n === 'number') return token;
  } catch {
    // fall through
  }
  throw new InvalidArgumentError(
    'nextPageToken is malformed: pass back the token of the previous page unchanged',
  );
}

function encodePageToken(token: PageToken): Buffer {
  return Buffer.from(JSON.stringify(token));
}

/** What a call handler knows about its call: cancellation and deadline. */
export interface CallContext {
  signal: AbortSignal;
}

/**
 * Waits until the run gets new durable events, the long poll ends or the call is cancelled.
 * Resolves false when it stopped waiting without news.
 */
function waitForEvents(run: Run, call: CallContext, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const finish = (value: boolean): void => {
      clearTimeout(timer);
      call.signal.removeEventListener('abort', onAbort);
      run.historyWaiters.delete(wake);
      resolve(value);
    };
    const wake = (): void => finish(true);
    const onAbort = (): void => finish(false);
    const timer = setTimeout(() => finish(false), timeoutMs);
    timer.unref();
    run.historyWaiters.add(wake);
    call.signal.addEventListener('abort', onAbort);
  });
}

/**
 * GetWorkflowExecutionHistory: plain paging, the CLOSE_EVENT long poll behind `handle.result()`
 * (exactly one event once closed; an empty page with the same token when the poll ends), and
 * ALL_EVENT waits for new events.
 */
export async function getHistory(
  ctx: EngineContext,
  namespace: string,
  req: Msg,
  call: CallContext,
): Promise<Msg> {
  const run = findRun(ctx, namespace, req.execution as { workflowId?: string; runId?: string });
  const wait = req.waitNewEvent === true;
  const closeOnly = req.historyEventFilterType === 'HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT';
  const token = decodePageToken(req.nextPageToken) ?? { r: run.state.runId, n: 0 };
  const pageSize = (req.maximumPageSize as number | undefined) || DEFAULT_PAGE_SIZE;

  if (closeOnly) {
    if (run.state.status === RUNNING && wait) await waitForClose(ctx, run, call);
    if (run.state.status === RUNNING)
      return { history: { events: [] }, nextPageToken: wait ? encodePageToken(token) : undefined };
    const closeEvent = run.events[run.state.closeEventId - 1];
    return { history: { events: closeEvent ? [closeEvent] : [] } };
  }

  if (wait && token.n >= run.events.length && run.state.status === RUNNING) {
    await waitForEvents(run, call, ctx.options.longPollMs);
  }
  const events = run.events.slice(token.n, Math.min(token.n + pageSize, run.persistedEvents));
  const next = token.n + events.length;
  const more = next < run.events.length || (wait && run.state.status === RUNNING);
  return {
    history: { events },
    nextPageToken: more ? encodePageToken({ r: run.state.runId, n: next }) : undefined,
  };
}

/**
 * GetWorkflowExecutionHistoryReverse (the Web UI's default, newest first): pages walk back from
 * the last durable event; the token holds the event id the next page ends below.
 */
export function getHistoryReverse(ctx: EngineContext, namespace: string, req: Msg): Msg {
  const run = findRun(ctx, namespace, req.execution as { workflowId?: string; runId?: string });
  const token = decodePageToken(req.nextPageToken) ?? { r: run.state.runId, n: run.persistedEvents };
  const pageSize = (req.maximumPageSize as number | undefined) || DEFAULT_PAGE_SIZE;
  const end = Math.min(token.n, run.persistedEvents);
  const start = Math.max(0, end - pageSize);
  const events = run.events.slice(start, end).reverse();
  return {
    history: { events },
    nextPageToken: start > 0 ? encodePageToken({ r: run.state.runId, n: start }) : undefined,
  };
}

async function waitForClose(ctx: EngineContext, run: Run, call: CallContext): Promise<void> {
  const deadline = Date.now() + ctx.options.longPollMs;
  while (run.state.status === RUNNING && !call.signal.aborted && Date.now() < deadline) {
    await waitForEvents(run, call, deadline - Date.now());
  }
}

/** DescribeWorkflowExecution. */
export function describeRun(run: Run): Msg {
  const state = run.state;
  const started = run.events[0] as HistoryEvent;
  const startedAttrs = eventAttributes(started);
  const open = state.status === RUNNING;
  const wft = state.workflowTask;
  return {
    executionConfig: {
      taskQueue: { name: state.taskQueue, kind: 'TASK_QUEUE_KIND_NORMAL' },
      workflowExecutionTimeout: startedAttrs.workflowExecutionTimeout,
      workflowRunTimeout: startedAttrs.workflowRunTimeout,
      defaultWorkflowTaskTimeout: msToDuration(state.workflowTaskTimeoutMs),
      ...(state.userMetadata ? { userMetadata: state.userMetadata } : {}),
    },
    workflowExecutionInfo: {
      execution: { workflowId: state.workflowId, runId: state.runId },
      type: { name: state.workflowType },
      startTime: msToTimestamp(state.startTimeMs),
      executionTime: msToTimestamp(state.executionTimeMs),
      ...(open
        ? {}
        : {
            closeTime: msToTimestamp(state.closeTimeMs),
            executionDuration: msToDuration(state.closeTimeMs - state.executionTimeMs),
          }),
      status: state.status,
      historyLength: run.events.length,
      historySizeBytes: 0,
      memo: state.memo ? { fields: state.memo } : undefined,
      searchAttributes: state.searchAttributes ? { indexedFields: state.searchAttributes } : undefined,
      taskQueue: state.taskQueue,
      firstRunId: state.firstExecutionRunId,
      rootExecution: startedAttrs.rootWorkflowExecution ?? {
        workflowId: state.workflowId,
        runId: state.runId,
      },
      ...(state.parent
        ? {
            parentNamespaceId: startedAttrs.parentWorkflowNamespaceId,
            parentExecution: { workflowId: state.parent.workflowId, runId: state.parent.runId },
          }
        : {}),
    },
    pendingChildren: Object.values(state.children ?? {}).map((c) => ({
      workflowId: c.workflowId,
      runId: c.runId,
      workflowTypeName: c.workflowType,
      initiatedId: c.initiatedEventId,
      parentClosePolicy: c.parentClosePolicy,
    })),
    pendingActivities: Object.values(state.activities).map((a) => ({
      activityId: a.activityId,
      activityType: { name: a.activityType },
      state:
        a.cancelRequestedEventId > 0
          ? 'PENDING_ACTIVITY_STATE_CANCEL_REQUESTED'
          : a.state === 'started'
            ? 'PENDING_ACTIVITY_STATE_STARTED'
            : 'PENDING_ACTIVITY_STATE_SCHEDULED',
      heartbeatDetails: a.heartbeatDetails ?? undefined,
      lastHeartbeatTime: a.lastHeartbeatTimeMs ? msToTimestamp(a.lastHeartbeatTimeMs) : undefined,
      lastStartedTime: a.startedTimeMs ? msToTimestamp(a.startedTimeMs) : undefined,
      attempt: a.attempt,
      maximumAttempts: a.retryPolicy.maximumAttempts,
      scheduledTime: msToTimestamp(a.attemptScheduledTimeMs),
      lastFailure: a.lastFailure ?? undefined,
      lastWorkerIdentity: a.startedIdentity,
    })),
    ...(wft
      ? {
          pendingWorkflowTask: {
            state:
              wft.state === 'started'
                ? 'PENDING_WORKFLOW_TASK_STATE_STARTED'
                : 'PENDING_WORKFLOW_TASK_STATE_SCHEDULED',
            scheduledTime: msToTimestamp(wft.scheduledTimeMs),
            originalScheduledTime: msToTimestamp(wft.scheduledTimeMs),
            ...(wft.state === 'started' ? { startedTime: msToTimestamp(wft.startedTimeMs) } : {}),
            attempt: wft.attempt,
          },
        }
      : {}),
  };
}
