import {
  requestCancelActivity,
  scheduleActivity,
  validateRequestCancelActivity,
  validateScheduleActivity,
  type ScheduleActivityAttributes,
} from './activities';
import {
  appendEvent,
  clearStickyBinding,
  closeRun,
  commitInBackground,
  flushBuffer,
  scheduleWorkflowTask,
  setStickyBinding,
  touch,
  type EngineContext,
} from './context';
import { initiatedAttributes, startChild, validateStartChild, type StartChildAttributes } from './children';
import { continueAsNew, type ContinueAsNewAttributes } from './continue-as-new';
import { InvalidArgumentError, NotFoundError } from './errors';
import {
  cancelExternal,
  signalExternal,
  validateCancelExternal,
  validateSignalExternal,
  type CancelExternalAttributes,
  type SignalExternalAttributes,
} from './external';
import { indexSearchAttributes } from './namespace-search-attributes';
import type { Msg } from './proto';
import { closeRunWithChain } from './retry-cron';
import { RUNNING, type ExecutionStatus, type PendingQuery, type Run } from './state';
import { encodeTaskToken, type TaskToken } from './task-token';
import {
  cancelTimer,
  startTimer,
  validateCancelTimer,
  validateStartTimer,
  type StartTimerAttributes,
} from './timers';
import { msToTimestamp, protoTimeToMs, type ProtoTime } from './time';
import { hasUndeliveredUpdates, readUpdateReplies, redeliverUpdates, takeUpdateMessages } from './updates';

/** Default sticky schedule-to-start when a worker does not say (the TS SDK sends 10 s). */
const DEFAULT_STICKY_SCHEDULE_TO_START_MS = 10_000;
/** Crash-looping workflow tasks back off from the third attempt on, up to this long. */
const MAX_WORKFLOW_TASK_RETRY_DELAY_MS = 10_000;

/**
 * Poll hand-out: appends `WorkflowTaskStarted`, arms the start-to-close timeout and builds the
 * poll response. A task taken from a sticky queue carries only the events after the last
 * completed task; from the normal queue, the full history.
 */
export function startWorkflowTask(ctx: EngineContext, run: Run, identity: string, requestId: string): Msg {
  const state = run.state;
  const wft = state.workflowTask;
  if (!wft || wft.state !== 'scheduled') throw new Error('startWorkflowTask: no scheduled workflow task');
  const now = Date.now();
  ctx.scheduler.clear(run.key, 'wft-sticky');
  const startedEventId = appendEvent(
    ctx,
    run,
    'EVENT_TYPE_WORKFLOW_TASK_STARTED',
    { scheduledEventId: wft.scheduledEventId, identity, requestId, historySizeBytes: 0 },
    now,
  );
  wft.state = 'started';
  wft.startedEventId = startedEventId;
  wft.startedTimeMs = now;
  armWorkflowTaskTimeout(ctx, run);

  const queries: Record<string, Msg> = {};
  for (const query of run.queries.values()) {
    if (!query.legacy && query.deliveredIn === 0) {
      query.deliveredIn = wft.scheduledEventId;
      queries[query.queryId] = query.query;
    }
  }
  const events = wft.sticky ? run.events.slice(state.lastCompletedStartedEventId) : run.events;
  const token: TaskToken = {
    k: 'w',
    ns: state.namespace,
    r: state.runId,
    s: wft.scheduledEventId,
    a: wft.attempt,
  };
  return {
    taskToken: encodeTaskToken(token),
    workflowExecution: { workflowId: state.workflowId, runId: state.runId },
    workflowType: { name: state.workflowType },
    previousStartedEventId: state.lastCompletedStartedEventId,
    startedEventId,
    attempt: wft.attempt,
    history: { events },
    workflowExecutionTaskQueue: { name: state.taskQueue, kind: 'TASK_QUEUE_KIND_NORMAL' },
    scheduledTime: msToTimestamp(wft.scheduledTimeMs),
    startedTime: msToTimestamp(now),
    queries,
    messages: takeUpdateMessages(run, wft.scheduledEventId, startedEventId),
  };
}

/** Arms the start-to-close timeout of the run's started workflow task (also after a restart). */
export function armWorkflowTaskTimeout(ctx: EngineContext, run: Run): void {
  const wft = run.state.workflowTask;
  if (wft?.state !== 'started') return;
  const { scheduledEventId, attempt } = wft;
  ctx.scheduler.set(run.key, 'wft-timeout', wft.startedTimeMs + run.state.workflowTaskTimeoutMs, () => {
    const current = run.state.workflowTask;
    if (
      current?.state !== 'started' ||
      current.scheduledEventId !== scheduledEventId ||
      current.attempt !== attempt
    )
      return;
    appendEvent(ctx, run, 'EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT', {
      scheduledEventId,
      startedEventId: current.startedEventId,
      timeoutType: 'TIMEOUT_TYPE_START_TO_CLOSE',
    });
    retryWorkflowTask(ctx, run, true);
    commitInBackground(ctx);
  });
}

/** Legacy query task hand-out: no history events; empty history on a sticky queue. */
export function startQueryTask(run: Run, query: PendingQuery, fromSticky: boolean): Msg {
  query.deliveredIn = 1;
  const state = run.state;
  const now = Date.now();
  const token: TaskToken = { k: 'q', ns: state.namespace, r: state.runId, q: query.queryId };
  return {
    taskToken: encodeTaskToken(token),
    workflowExecution: { workflowId: state.workflowId, runId: state.runId },
    workflowType: { name: state.workflowType },
    previousStartedEventId: state.lastCompletedStartedEventId,
    startedEventId: 0,
    attempt: 1,
    history: { events: fromSticky ? [] : run.events },
    workflowExecutionTaskQueue: { name: state.taskQueue, kind: 'TASK_QUEUE_KIND_NORMAL' },
    query: query.query,
    scheduledTime: msToTimestamp(now),
    startedTime: msToTimestamp(now),
  };
}

/** The run and started workflow task a token points at, or NOT_FOUND. */
export function resolveWorkflowTaskToken(ctx: EngineContext, token: Extract<TaskToken, { k: 'w' }>): Run {
  const run = ctx.runs.get(`${token.ns}\u0000${token.r}`);
  if (!run || run.state.status !== RUNNING) throw new NotFoundError('workflow execution already completed');
  const wft = run.state.workflowTask;
  if (wft?.state !== 'started' || wft.scheduledEventId !== token.s || wft.attempt !== token.a) {
    throw new NotFoundError('workflow task not found');
  }
  return run;
}

/**
 * After a failed or timed-out task: flush the buffer, forget stickiness, redeliver its queries and
 * schedule the next attempt (same attempt when it ran sticky or `keepAttempt`, else +1; from the
 * third attempt on with a growing delay so a crash-looping workflow does not spin).
 */
function retryWorkflowTask(ctx: EngineContext, run: Run, increment: boolean): void {
  const state = run.state;
  const wft = state.workflowTask;
  if (!wft) return;
  ctx.scheduler.clear(run.key, 'wft-timeout');
  state.workflowTask = null;
  state.needsWorkflowTask = false;
  flushBuffer(ctx, run);
  for (const query of run.queries.values())
    if (!query.legacy && query.deliveredIn === wft.scheduledEventId) query.deliveredIn = 0;
  redeliverUpdates(run, wft.scheduledEventId);
  clearStickyBinding(ctx, run);
  const attempt = increment && !wft.sticky ? wft.attempt + 1 : wft.attempt;
  const delayMs = attempt >= 3 ? Math.min((attempt - 2) * 1000, MAX_WORKFLOW_TASK_RETRY_DELAY_MS) : 0;
  touch(ctx, run);
  scheduleWorkflowTask(ctx, run, { attempt, delayMs });
}

/** RespondWorkflowTaskFailed. */
export function failWorkflowTask(ctx: EngineContext, run: Run, req: Msg): void {
  const wft = run.state.workflowTask;
  if (!wft) return;
  appendEvent(ctx, run, 'EVENT_TYPE_WORKFLOW_TASK_FAILED', {
    scheduledEventId: wft.scheduledEventId,
    startedEventId: wft.startedEventId,
    cause: req.cause ?? 'WORKFLOW_TASK_FAILED_CAUSE_UNSPECIFIED',
    failure: req.failure,
    identity: req.identity,
    binaryChecksum: req.binaryChecksum,
  });
  answerQueries(run, req.queryResults as Record<string, Msg> | undefined);
  retryWorkflowTask(ctx, run, req.cause !== 'WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND');
}

interface Command extends Msg {
  commandType?: string;
}

const TERMINAL_COMMANDS = new Set([
  'COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION',
  'COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION',
  'COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION',
  'COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION',
]);

/** Commands this devserver does not implement (Nexus) and their failure causes. */
const UNSUPPORTED_COMMANDS: Record<string, string> = {
  COMMAND_TYPE_SCHEDULE_NEXUS_OPERATION: 'WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_NEXUS_OPERATION_ATTRIBUTES',
  COMMAND_TYPE_REQUEST_CANCEL_NEXUS_OPERATION:
    'WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_NEXUS_OPERATION_ATTRIBUTES',
};

function commandAttributes<T>(command: Command, field: string): T {
  return (command[field] ?? {}) as T;
}

/** Returns `[cause, message]` for the first invalid command, or undefined. */
function validateCommands(ctx: EngineContext, run: Run, commands: Command[]): [string, string] | undefined {
  const timers = new Set<string>();
  const activityIds = new Set<string>();
  for (const command of commands) {
    const type = command.commandType ?? 'COMMAND_TYPE_UNSPECIFIED';
    let problem: [string, string | undefined] | undefined;
    switch (type) {
      case 'COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK': {
        const attrs = commandAttributes<ScheduleActivityAttributes>(
          command,
          'scheduleActivityTaskCommandAttributes',
        );
        let message = validateScheduleActivity(run, attrs);
        if (!message && activityIds.has(attrs.activityId ?? ''))
          message = `activityId ${attrs.activityId} is scheduled twice`;
        activityIds.add(attrs.activityId ?? '');
        problem = ['WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES', message];
        break;
      }
      case 'COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK':
        problem = [
          'WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_ACTIVITY_ATTRIBUTES',
          validateRequestCancelActivity(
            run,
            commandAttributes(command, 'requestCancelActivityTaskCommandAttributes'),
          ),
        ];
        break;
      case 'COMMAND_TYPE_START_TIMER': {
        const attrs = commandAttributes<StartTimerAttributes>(command, 'startTimerCommandAttributes');
        let message = validateStartTimer(run, attrs);
        if (!message && timers.has(attrs.timerId ?? ''))
          message = `timerId ${attrs.timerId} is started twice`;
        timers.add(attrs.timerId ?? '');
        problem = ['WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES', message];
        break;
      }
      case 'COMMAND_TYPE_CANCEL_TIMER': {
        const attrs = commandAttributes<{ timerId?: string }>(command, 'cancelTimerCommandAttributes');
        const startedHere = timers.has(attrs.timerId ?? '');
        problem = [
          'WORKFLOW_TASK_FAILED_CAUSE_BAD_CANCEL_TIMER_ATTRIBUTES',
          startedHere ? undefined : validateCancelTimer(run, attrs),
        ];
        break;
      }
      case 'COMMAND_TYPE_RECORD_MARKER':
        problem = [
          'WORKFLOW_TASK_FAILED_CAUSE_BAD_RECORD_MARKER_ATTRIBUTES',
          commandAttributes<{ markerName?: string }>(command, 'recordMarkerCommandAttributes').markerName
            ? undefined
            : 'RecordMarkerCommandAttributes.markerName is not set',
        ];
        break;
      case 'COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION':
        problem = [
          'WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES',
          validateStartChild(
            ctx,
            run,
            commandAttributes(command, 'startChildWorkflowExecutionCommandAttributes'),
          ),
        ];
        break;
      case 'COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION':
        problem = [
          'WORKFLOW_TASK_FAILED_CAUSE_BAD_SIGNAL_WORKFLOW_EXECUTION_ATTRIBUTES',
          validateSignalExternal(
            commandAttributes(command, 'signalExternalWorkflowExecutionCommandAttributes'),
          ),
        ];
        break;
      case 'COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION':
        problem = [
          'WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_ATTRIBUTES',
          validateCancelExternal(
            commandAttributes(command, 'requestCancelExternalWorkflowExecutionCommandAttributes'),
          ),
        ];
        break;
      case 'COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION':
      case 'COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION':
      case 'COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION':
      case 'COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION':
      case 'COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES':
      case 'COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES':
      case 'COMMAND_TYPE_PROTOCOL_MESSAGE':
        break;
      default: {
        const cause = UNSUPPORTED_COMMANDS[type] ?? 'WORKFLOW_TASK_FAILED_CAUSE_UNSPECIFIED';
        problem = [cause, `${type} is not supported by this devserver`];
      }
    }
    if (problem?.[1]) return [problem[0], problem[1]];
  }
  return undefined;
}

function answerQueries(run: Run, results: Record<string, Msg> | undefined): void {
  if (!results) return;
  for (const [queryId, result] of Object.entries(results)) {
    const query = run.queries.get(queryId);
    if (!query || query.legacy) continue;
    run.queries.delete(queryId);
    if (result.resultType === 'QUERY_RESULT_TYPE_ANSWERED') {
      query.resolve({ kind: 'answered', answer: (result.answer as Msg | undefined) ?? null });
    } else {
      query.resolve({
        kind: 'failed',
        message: (result.errorMessage as string | undefined) ?? 'query failed',
        failure: (result.failure as Msg | undefined) ?? null,
      });
    }
  }
}

/**
 * RespondWorkflowTaskCompleted (DEVSERVER.md §3.3): unhandled-command check, validation, then
 * `WorkflowTaskCompleted`, the command events in command order, the buffered events, query
 * answers, stickiness, and the next task if anything asks for one. Throws INVALID_ARGUMENT after
 * recording a task failure (the caller still commits).
 */
export function completeWorkflowTask(ctx: EngineContext, run: Run, req: Msg): void {
  const state = run.state;
  const wft = state.workflowTask;
  if (!wft) return;
  const commands = (req.commands ?? []) as Command[];
  const identity = (req.identity as string | undefined) ?? '';
  const terminalIndex = commands.findIndex((c) => TERMINAL_COMMANDS.has(c.commandType ?? ''));
  if (terminalIndex >= 0 && terminalIndex !== commands.length - 1) {
    throw new InvalidArgumentError(
      `commands[${terminalIndex}]: a workflow-closing command must be the last command`,
    );
  }
  const failTask = (cause: string, message: string): never => {
    appendEvent(ctx, run, 'EVENT_TYPE_WORKFLOW_TASK_FAILED', {
      scheduledEventId: wft.scheduledEventId,
      startedEventId: wft.startedEventId,
      cause,
      failure: { message, source: 'Server', applicationFailureInfo: { type: cause, nonRetryable: true } },
      identity,
    });
    answerQueries(run, req.queryResults as Record<string, Msg> | undefined);
    retryWorkflowTask(ctx, run, cause !== 'WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND');
    throw new InvalidArgumentError(message);
  };
  if (terminalIndex >= 0 && (state.buffered.length > 0 || hasUndeliveredUpdates(run))) {
    failTask(
      'WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND',
      'UnhandledCommand: new events or updates arrived while the workflow task ran',
    );
  }
  const invalid = validateCommands(ctx, run, commands);
  if (invalid) failTask(invalid[0], invalid[1]);
  const updateReplies = readUpdateReplies(run, req, wft.scheduledEventId);
  if (updateReplies.problem) failTask(...updateReplies.problem);

  ctx.scheduler.clear(run.key, 'wft-timeout');
  const completedEventId = appendEvent(ctx, run, 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED', {
    scheduledEventId: wft.scheduledEventId,
    startedEventId: wft.startedEventId,
    identity,
    binaryChecksum: req.binaryChecksum,
    sdkMetadata: req.sdkMetadata,
    meteringMetadata: req.meteringMetadata,
    ...(req.workerVersion ? { workerVersion: req.workerVersion } : {}),
  });
  state.lastCompletedStartedEventId = wft.startedEventId;
  state.workflowTask = null;
  touch(ctx, run);

  // Answer queries before applying commands: a closing command turns unanswered queries into
  // legacy query tasks, and the ones this task answered must not be asked again.
  answerQueries(run, req.queryResults as Record<string, Msg> | undefined);
  let newTaskRequested = false;
  // Effects on other runs (child starts, external signals and cancels) and their follow-up events
  // come after every command event: core expects the command events in one block.
  const effects: (() => void)[] = [];
  for (const command of commands) {
    if (command.commandType === 'COMMAND_TYPE_PROTOCOL_MESSAGE') updateReplies.applyCommand(ctx, command);
    newTaskRequested =
      applyCommand(ctx, run, command, completedEventId, identity, effects) || newTaskRequested;
  }
  updateReplies.finish(ctx);
  if (state.status !== RUNNING) {
    for (const effect of effects) effect();
    return;
  }

  const flushed = flushBuffer(ctx, run);
  const sticky = req.stickyAttributes as
    { workerTaskQueue?: { name?: string }; scheduleToStartTimeout?: ProtoTime } | undefined;
  if (sticky?.workerTaskQueue?.name) {
    setStickyBinding(
      ctx,
      run,
      sticky.workerTaskQueue.name,
      protoTimeToMs(sticky.scheduleToStartTimeout) || DEFAULT_STICKY_SCHEDULE_TO_START_MS,
    );
  } else {
    clearStickyBinding(ctx, run);
  }
  for (const effect of effects) effect();
  const pendingQueries = [...run.queries.values()].some((q) => !q.legacy && q.deliveredIn === 0);
  if (
    req.forceCreateNewWorkflowTask ||
    flushed > 0 ||
    state.needsWorkflowTask ||
    newTaskRequested ||
    pendingQueries
  ) {
    state.needsWorkflowTask = false;
    scheduleWorkflowTask(ctx, run);
  }
}

/** Applies one validated command; returns true when it needs a new workflow task. */
function applyCommand(
  ctx: EngineContext,
  run: Run,
  command: Command,
  completedEventId: number,
  identity: string,
  effects: (() => void)[],
): boolean {
  const state = run.state;
  const close = (eventType: string, attributes: Msg, status: ExecutionStatus): void => {
    const closeEventId = appendEvent(ctx, run, eventType, {
      ...attributes,
      workflowTaskCompletedEventId: completedEventId,
    });
    closeRun(ctx, run, status, closeEventId);
  };
  switch (command.commandType) {
    case 'COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK':
      scheduleActivity(
        ctx,
        run,
        commandAttributes(command, 'scheduleActivityTaskCommandAttributes'),
        completedEventId,
      );
      return false;
    case 'COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK': {
      const attrs = commandAttributes<{ scheduledEventId?: number }>(
        command,
        'requestCancelActivityTaskCommandAttributes',
      );
      return requestCancelActivity(ctx, run, attrs.scheduledEventId ?? 0, completedEventId);
    }
    case 'COMMAND_TYPE_START_TIMER':
      startTimer(ctx, run, commandAttributes(command, 'startTimerCommandAttributes'), completedEventId);
      return false;
    case 'COMMAND_TYPE_CANCEL_TIMER': {
      const attrs = commandAttributes<{ timerId?: string }>(command, 'cancelTimerCommandAttributes');
      cancelTimer(ctx, run, attrs.timerId ?? '', completedEventId, identity);
      return false;
    }
    case 'COMMAND_TYPE_RECORD_MARKER':
      appendEvent(ctx, run, 'EVENT_TYPE_MARKER_RECORDED', {
        ...commandAttributes<Msg>(command, 'recordMarkerCommandAttributes'),
        workflowTaskCompletedEventId: completedEventId,
      });
      return false;
    case 'COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES': {
      const attrs = commandAttributes<{ searchAttributes?: { indexedFields?: Msg } }>(
        command,
        'upsertWorkflowSearchAttributesCommandAttributes',
      );
      appendEvent(ctx, run, 'EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES', {
        searchAttributes: attrs.searchAttributes,
        workflowTaskCompletedEventId: completedEventId,
      });
      state.searchAttributes = mergeFields(state.searchAttributes, attrs.searchAttributes?.indexedFields);
      indexSearchAttributes(ctx, state.namespace, attrs.searchAttributes?.indexedFields);
      return false;
    }
    case 'COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES': {
      const attrs = commandAttributes<{ upsertedMemo?: { fields?: Msg } }>(
        command,
        'modifyWorkflowPropertiesCommandAttributes',
      );
      appendEvent(ctx, run, 'EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED', {
        upsertedMemo: attrs.upsertedMemo,
        workflowTaskCompletedEventId: completedEventId,
      });
      state.memo = mergeFields(state.memo, attrs.upsertedMemo?.fields);
      return false;
    }
    case 'COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION': {
      const attrs = commandAttributes<StartChildAttributes>(
        command,
        'startChildWorkflowExecutionCommandAttributes',
      );
      const initiatedEventId = appendEvent(
        ctx,
        run,
        'EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED',
        initiatedAttributes(run, attrs, completedEventId),
      );
      // The command's user metadata (summary, details) is the child run's own, as on a real server.
      const userMetadata = (command as { userMetadata?: Msg | null }).userMetadata ?? undefined;
      effects.push(() => startChild(ctx, run, attrs, initiatedEventId, userMetadata));
      return false;
    }
    case 'COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION': {
      const attrs = commandAttributes<SignalExternalAttributes>(
        command,
        'signalExternalWorkflowExecutionCommandAttributes',
      );
      const initiatedEventId = appendEvent(
        ctx,
        run,
        'EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED',
        {
          ...attrs,
          namespace: attrs.namespace || state.namespace,
          workflowExecution: attrs.execution,
          workflowTaskCompletedEventId: completedEventId,
        },
      );
      effects.push(() => signalExternal(ctx, run, attrs, initiatedEventId));
      return false;
    }
    case 'COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION': {
      const attrs = commandAttributes<CancelExternalAttributes>(
        command,
        'requestCancelExternalWorkflowExecutionCommandAttributes',
      );
      const initiatedEventId = appendEvent(
        ctx,
        run,
        'EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED',
        {
          namespace: attrs.namespace || state.namespace,
          workflowExecution: { workflowId: attrs.workflowId, runId: attrs.runId },
          control: attrs.control,
          childWorkflowOnly: attrs.childWorkflowOnly,
          reason: attrs.reason,
          workflowTaskCompletedEventId: completedEventId,
        },
      );
      effects.push(() => cancelExternal(ctx, run, attrs, initiatedEventId));
      return false;
    }
    case 'COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION':
      continueAsNew(
        ctx,
        run,
        commandAttributes<ContinueAsNewAttributes>(
          command,
          'continueAsNewWorkflowExecutionCommandAttributes',
        ),
        completedEventId,
      );
      return false;
    case 'COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION':
      closeRunWithChain(ctx, run, {
        kind: 'completed',
        result: commandAttributes<Msg>(command, 'completeWorkflowExecutionCommandAttributes').result,
        completedEventId,
      });
      return false;
    case 'COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION':
      closeRunWithChain(ctx, run, {
        kind: 'failed',
        failure: (commandAttributes<Msg>(command, 'failWorkflowExecutionCommandAttributes').failure as
          Msg | undefined) ?? { message: 'workflow failed without a failure' },
        completedEventId,
      });
      return false;
    case 'COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION':
      close(
        'EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED',
        { details: commandAttributes<Msg>(command, 'cancelWorkflowExecutionCommandAttributes').details },
        'WORKFLOW_EXECUTION_STATUS_CANCELED',
      );
      return false;
    default:
      return false;
  }
}

/** Merges a payload map; a key with an empty payload (no data) removes it. */
function mergeFields(current: Msg | null, update: Msg | undefined): Msg | null {
  if (!update) return current;
  const merged: Msg = { ...(current ?? {}) };
  for (const [key, value] of Object.entries(update)) {
    const data = (value as { data?: Buffer } | null)?.data;
    if (!data || data.length === 0 || data.toString() === 'null') delete merged[key];
    else merged[key] = value;
  }
  return merged;
}
