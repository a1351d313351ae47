import { randomUUID } from 'node:crypto';
import {
  addExternalEvents,
  appendEvent,
  clearStickyBinding,
  closeRun,
  commitInBackground,
  enqueueLegacyQuery,
  flushBuffer,
  moveWorkflowTaskToNormalQueue,
  queueKey,
  scheduleWorkflowTask,
  touch,
  type EngineContext,
} from './context';
import { nextCronDelayMs, validateCronSchedule } from './cron-schedule';
import { AlreadyStartedError, InvalidArgumentError, NotFoundError } from './errors';
import { indexSearchAttributes } from './namespace-search-attributes';
import type { Msg } from './proto';
import { validateRetryPolicy, type RetryPolicyMsg } from './retry-policy';
import { makeRun, RUNNING, runKey, workflowKey, type ParentLink, type Run, type RunState } from './state';
import { msToDuration, msToTimestamp, protoTimeToMs, type ProtoTime } from './time';

/** Workflow task timeout when the start request omits it, and the ceiling the server applies. */
const DEFAULT_WORKFLOW_TASK_TIMEOUT_MS = 10_000;
const MAX_WORKFLOW_TASK_TIMEOUT_MS = 120_000;
/** Signal request ids remembered per run for de-duplication. */
const SIGNAL_REQUEST_IDS_KEPT = 100;

/** Fields of StartWorkflowExecutionRequest (also the start part of signal-with-start). */
export interface StartRequest extends Msg {
  namespace?: string;
  workflowId?: string;
  workflowType?: { name?: string };
  taskQueue?: { name?: string };
  requestId?: string;
  identity?: string;
  workflowExecutionTimeout?: ProtoTime;
  workflowRunTimeout?: ProtoTime;
  workflowTaskTimeout?: ProtoTime;
  workflowIdReusePolicy?: string;
  workflowIdConflictPolicy?: string;
  retryPolicy?: RetryPolicyMsg;
  memo?: { fields?: Msg };
  searchAttributes?: { indexedFields?: Msg };
  workflowStartDelay?: ProtoTime;
  cronSchedule?: string;
}

/** Checks the fields every start needs; INVALID_ARGUMENT names the first missing one. */
export function validateStartRequest(req: StartRequest): void {
  if (!req.workflowId) throw new InvalidArgumentError('workflowId is required');
  if (!req.workflowType?.name) throw new InvalidArgumentError('workflowType.name is required');
  if (!req.taskQueue?.name) throw new InvalidArgumentError('taskQueue.name is required');
  for (const field of [
    'workflowExecutionTimeout',
    'workflowRunTimeout',
    'workflowTaskTimeout',
    'workflowStartDelay',
  ] as const) {
    if (protoTimeToMs(req[field]) < 0) throw new InvalidArgumentError(`${field} must not be negative`);
  }
  const retry = validateRetryPolicy(req.retryPolicy);
  if (retry) throw new InvalidArgumentError(retry);
  if (req.cronSchedule) {
    const cron = validateCronSchedule(req.cronSchedule);
    if (cron) throw new InvalidArgumentError(cron);
    if (protoTimeToMs(req.workflowStartDelay) > 0)
      throw new InvalidArgumentError('cronSchedule and workflowStartDelay cannot be used together');
  }
}

/** Looks up a run by workflow id and optional run id (empty = current run), or NOT_FOUND. */
export function findRun(
  ctx: EngineContext,
  namespace: string,
  execution: { workflowId?: string; runId?: string } | undefined,
): Run {
  if (!execution?.workflowId) throw new InvalidArgumentError('execution.workflowId is required');
  const run = execution.runId
    ? ctx.runs.get(runKey(namespace, execution.runId))
    : ctx.current.get(workflowKey(namespace, execution.workflowId));
  if (!run || run.state.workflowId !== execution.workflowId) {
    throw new NotFoundError(
      `workflow execution not found: workflowId=${execution.workflowId}${execution.runId ? ` runId=${execution.runId}` : ''}`,
    );
  }
  return run;
}

/**
 * How a new run is linked to others: a child's parent, a continued run's chain. `startedAttributes`
 * are merged into its `WorkflowExecutionStarted` event.
 */
export interface RunLinks {
  runId?: string;
  firstExecutionRunId?: string;
  parent?: ParentLink;
  /** Keeps a chain's execution deadline instead of starting a new one. */
  executionDeadlineMs?: number;
  startedAttributes?: Msg;
}

/** Outcome of a start: the run and whether this call created it. */
export interface StartOutcome {
  run: Run;
  started: boolean;
}

const FAILED_STATUSES = new Set([
  'WORKFLOW_EXECUTION_STATUS_FAILED',
  'WORKFLOW_EXECUTION_STATUS_CANCELED',
  'WORKFLOW_EXECUTION_STATUS_TERMINATED',
  'WORKFLOW_EXECUTION_STATUS_TIMED_OUT',
]);

/**
 * StartWorkflowExecution: request-id idempotency, id-conflict policy for an open run, id-reuse
 * policy for a closed one, then a new run with `WorkflowExecutionStarted` (+ `signal`, for
 * signal-with-start) and its first workflow task.
 */
export function startWorkflow(
  ctx: EngineContext,
  namespace: string,
  req: StartRequest,
  signal?: Msg,
  links: RunLinks = {},
): StartOutcome {
  validateStartRequest(req);
  const workflowId = req.workflowId as string;
  const existing = ctx.current.get(workflowKey(namespace, workflowId));
  const requestId = req.requestId || randomUUID();
  if (existing) {
    const open = existing.state.status === RUNNING;
    if (req.requestId && existing.state.requestId === req.requestId) return { run: existing, started: true };
    const conflict = (): never => {
      throw new AlreadyStartedError(workflowId, {
        startRequestId: existing.state.requestId,
        runId: existing.state.runId,
      });
    };
    if (open) {
      const policy = req.workflowIdConflictPolicy ?? 'WORKFLOW_ID_CONFLICT_POLICY_UNSPECIFIED';
      if (policy === 'WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING') return { run: existing, started: false };
      if (
        policy === 'WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING' ||
        req.workflowIdReusePolicy === 'WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING'
      ) {
        terminateRun(
          ctx,
          existing,
          'terminated by a new start of the same workflow id',
          null,
          req.identity ?? '',
        );
      } else {
        conflict();
      }
    } else {
      const reuse = req.workflowIdReusePolicy ?? 'WORKFLOW_ID_REUSE_POLICY_UNSPECIFIED';
      if (reuse === 'WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE') conflict();
      if (
        reuse === 'WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY' &&
        !FAILED_STATUSES.has(existing.state.status)
      ) {
        conflict();
      }
    }
  }
  if (req.cronSchedule) {
    // A cron workflow's first run waits for the first cron time, like every later run.
    const delayMs = nextCronDelayMs(req.cronSchedule, Date.now(), Date.now()) ?? 0;
    req = { ...req, workflowStartDelay: msToDuration(delayMs) };
    links = {
      ...links,
      startedAttributes: { initiator: 'CONTINUE_AS_NEW_INITIATOR_CRON_SCHEDULE', ...links.startedAttributes },
    };
  }
  return { run: createRun(ctx, namespace, req, requestId, signal, links), started: true };
}

/**
 * Creates a run with `WorkflowExecutionStarted` (+ `signal`) and its first workflow task, and makes
 * it the workflow id's current run. No policy checks: callers decide whether it may exist.
 */
export function createRun(
  ctx: EngineContext,
  namespace: string,
  req: StartRequest,
  requestId: string,
  signal?: Msg,
  links: RunLinks = {},
): Run {
  const now = Date.now();
  const runId = links.runId ?? randomUUID();
  const firstExecutionRunId = links.firstExecutionRunId ?? runId;
  const executionTimeoutMs = protoTimeToMs(req.workflowExecutionTimeout);
  let runTimeoutMs = protoTimeToMs(req.workflowRunTimeout);
  if (executionTimeoutMs > 0 && (runTimeoutMs === 0 || runTimeoutMs > executionTimeoutMs))
    runTimeoutMs = executionTimeoutMs;
  const taskTimeoutMs = Math.min(
    protoTimeToMs(req.workflowTaskTimeout) || DEFAULT_WORKFLOW_TASK_TIMEOUT_MS,
    MAX_WORKFLOW_TASK_TIMEOUT_MS,
    runTimeoutMs || Infinity,
  );
  const startDelayMs = protoTimeToMs(req.workflowStartDelay);
  const executionDeadlineMs =
    links.executionDeadlineMs ?? (executionTimeoutMs > 0 ? now + executionTimeoutMs : 0);
  // The run timeout counts from the first workflow task's time (after the start delay or the
  // retry / cron backoff), never past the execution deadline (server ApplyWorkflowExecutionStartedEvent).
  let runDeadlineMs = runTimeoutMs > 0 ? now + startDelayMs + runTimeoutMs : 0;
  if (executionDeadlineMs > 0 && runDeadlineMs > executionDeadlineMs) runDeadlineMs = executionDeadlineMs;
  const state: RunState = {
    namespace,
    workflowId: req.workflowId as string,
    runId,
    firstExecutionRunId,
    workflowType: req.workflowType?.name as string,
    taskQueue: req.taskQueue?.name as string,
    requestId,
    status: RUNNING,
    startTimeMs: now,
    executionTimeMs: now + startDelayMs,
    closeTimeMs: 0,
    workflowTaskTimeoutMs: taskTimeoutMs,
    runDeadlineMs,
    executionDeadlineMs,
    memo: req.memo?.fields ?? null,
    searchAttributes: req.searchAttributes?.indexedFields ?? null,
    workflowTask: null,
    needsWorkflowTask: false,
    buffered: [],
    lastCompletedStartedEventId: 0,
    stickyQueue: '',
    stickyScheduleToStartMs: 0,
    activities: {},
    timers: {},
    cancelRequested: false,
    signalRequestIds: [],
    closeEventId: 0,
    parent: links.parent ?? null,
    children: {},
    userMetadata: (req.userMetadata as Msg | undefined) ?? null,
  };
  indexSearchAttributes(ctx, namespace, state.searchAttributes);
  const run = makeRun(state, []);
  run.persistedEvents = 0;
  ctx.runs.set(run.key, run);
  ctx.current.set(workflowKey(namespace, state.workflowId), run);
  appendEvent(
    ctx,
    run,
    'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED',
    {
      workflowType: { name: state.workflowType },
      taskQueue: { name: state.taskQueue, kind: 'TASK_QUEUE_KIND_NORMAL' },
      input: req.input,
      header: req.header,
      workflowExecutionTimeout: msToDuration(executionTimeoutMs),
      workflowRunTimeout: msToDuration(runTimeoutMs),
      workflowTaskTimeout: msToDuration(taskTimeoutMs),
      identity: req.identity,
      firstExecutionRunId,
      originalExecutionRunId: runId,
      attempt: 1,
      memo: req.memo,
      searchAttributes: req.searchAttributes,
      retryPolicy: req.retryPolicy,
      cronSchedule: req.cronSchedule,
      workflowId: state.workflowId,
      ...(executionDeadlineMs > 0
        ? { workflowExecutionExpirationTime: msToTimestamp(executionDeadlineMs) }
        : {}),
      ...(startDelayMs > 0 ? { firstWorkflowTaskBackoff: msToDuration(startDelayMs) } : {}),
      ...(req.priority ? { priority: req.priority } : {}),
      ...links.startedAttributes,
    },
    now,
  );
  // User metadata lives on the event itself, not in its attributes.
  if (state.userMetadata && run.events[0]) run.events[0].userMetadata = state.userMetadata;
  if (signal) appendEvent(ctx, run, 'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED', signal, now);
  scheduleWorkflowTask(ctx, run, { delayMs: startDelayMs });
  armRunTimeout(ctx, run);
  return run;
}

/** Arms the run/execution timeout (also after a restart). */
export function armRunTimeout(ctx: EngineContext, run: Run): void {
  const deadlines = [run.state.runDeadlineMs, run.state.executionDeadlineMs].filter((d) => d > 0);
  if (deadlines.length === 0 || run.state.status !== RUNNING) return;
  ctx.scheduler.set(run.key, 'run-timeout', Math.min(...deadlines), () => {
    if (run.state.status !== RUNNING) return;
    abortWorkflowTask(ctx, run);
    if (ctx.onRunTimedOut) ctx.onRunTimedOut(run);
    else {
      const closeEventId = appendEvent(ctx, run, 'EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT', {
        retryState: 'RETRY_STATE_TIMEOUT',
      });
      closeRun(ctx, run, 'WORKFLOW_EXECUTION_STATUS_TIMED_OUT', closeEventId);
    }
    commitInBackground(ctx);
  });
}

/** A started task is failed with FORCE_CLOSE_COMMAND before the run is closed from outside. */
function abortWorkflowTask(ctx: EngineContext, run: Run): void {
  const wft = run.state.workflowTask;
  if (wft?.state === 'started') {
    appendEvent(ctx, run, 'EVENT_TYPE_WORKFLOW_TASK_FAILED', {
      scheduledEventId: wft.scheduledEventId,
      startedEventId: wft.startedEventId,
      cause: 'WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND',
    });
    run.state.workflowTask = null;
    flushBuffer(ctx, run);
  }
}

/** TerminateWorkflowExecution on an open run. */
export function terminateRun(
  ctx: EngineContext,
  run: Run,
  reason: string,
  details: unknown,
  identity: string,
): void {
  if (run.state.status !== RUNNING) throw new NotFoundError('workflow execution already completed');
  abortWorkflowTask(ctx, run);
  const closeEventId = appendEvent(ctx, run, 'EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED', {
    reason,
    details,
    identity,
  });
  closeRun(ctx, run, 'WORKFLOW_EXECUTION_STATUS_TERMINATED', closeEventId);
}

/** SignalWorkflowExecution on an open run (duplicate request ids are ignored). */
export function signalRun(ctx: EngineContext, run: Run, req: Msg): void {
  if (run.state.status !== RUNNING) throw new NotFoundError('workflow execution already completed');
  if (!req.signalName) throw new InvalidArgumentError('signalName is required');
  const requestId = req.requestId as string | undefined;
  if (requestId) {
    if (run.state.signalRequestIds.includes(requestId)) return;
    run.state.signalRequestIds.push(requestId);
    if (run.state.signalRequestIds.length > SIGNAL_REQUEST_IDS_KEPT) run.state.signalRequestIds.shift();
  }
  addExternalEvents(ctx, run, [
    { eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED', attributes: signalAttributes(req) },
  ]);
}

/** `WorkflowExecutionSignaled` attributes from a signal request. */
export function signalAttributes(req: Msg): Msg {
  return {
    signalName: req.signalName,
    input: req.signalInput ?? req.input,
    identity: req.identity,
    header: req.header,
  };
}

/**
 * RequestCancelWorkflowExecution: `WorkflowExecutionCancelRequested` once. `external` adds the
 * requesting workflow's fields when another workflow asked.
 */
export function requestCancelRun(ctx: EngineContext, run: Run, req: Msg, external?: Msg): void {
  if (run.state.status !== RUNNING) throw new NotFoundError('workflow execution already completed');
  const first = req.firstExecutionRunId as string | undefined;
  if (first && first !== run.state.firstExecutionRunId) {
    throw new NotFoundError(`workflow execution not found for firstExecutionRunId ${first}`);
  }
  if (run.state.cancelRequested) return;
  run.state.cancelRequested = true;
  touch(ctx, run);
  addExternalEvents(ctx, run, [
    {
      eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED',
      attributes: { cause: req.reason ?? '', identity: req.identity ?? '', ...external },
    },
  ]);
}

/**
 * ShutdownWorker: releases the worker's sticky queue so its runs continue on the normal queue at
 * once instead of after the sticky schedule-to-start timeout; its parked sticky polls end.
 */
export function releaseStickyQueue(ctx: EngineContext, namespace: string, stickyQueue: string): void {
  const key = queueKey(namespace, stickyQueue);
  for (const rk of [...(ctx.stickyRuns.get(key) ?? [])]) {
    const run = ctx.runs.get(rk);
    if (!run) continue;
    clearStickyBinding(ctx, run);
    moveWorkflowTaskToNormalQueue(ctx, run);
    for (const query of run.queries.values()) {
      if (query.legacy && query.deliveredIn === 0 && query.queue === stickyQueue)
        enqueueLegacyQuery(ctx, run, query);
    }
  }
  ctx.stickyRuns.delete(key);
  for (const poller of ctx.workflowQueues.evictPollers(key)) poller.release();
}
