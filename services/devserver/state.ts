import type { Msg } from './proto';
import type { RetryPolicy } from './retry-policy';

/** One history event in plain-object form; exactly one `<camel>EventAttributes` field is set. */
export interface HistoryEvent extends Msg {
  eventId: number;
  eventTime: { seconds: number; nanos: number };
  eventType: string;
}

/** Workflow execution status enum names, as the API spells them. */
export type ExecutionStatus =
  | 'WORKFLOW_EXECUTION_STATUS_RUNNING'
  | 'WORKFLOW_EXECUTION_STATUS_COMPLETED'
  | 'WORKFLOW_EXECUTION_STATUS_FAILED'
  | 'WORKFLOW_EXECUTION_STATUS_CANCELED'
  | 'WORKFLOW_EXECUTION_STATUS_TERMINATED'
  | 'WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW'
  | 'WORKFLOW_EXECUTION_STATUS_TIMED_OUT';

/**
 * An event waiting in the per-run buffer while a workflow task is started; it gets its id when
 * flushed. `linkStartedToPrevious` fills `startedEventId` with the id of the event flushed just
 * before it (an activity's transient `ActivityTaskStarted`).
 */
export interface BufferedEvent {
  eventType: string;
  attributesField: string;
  attributes: Msg;
  timeMs: number;
  linkStartedToPrevious?: boolean;
}

/** The one outstanding workflow task of a run. */
export interface WorkflowTaskState {
  state: 'scheduled' | 'started';
  scheduledEventId: number;
  startedEventId: number;
  attempt: number;
  /** Queue it is dispatched on: the run's normal queue or its sticky queue. */
  queue: string;
  sticky: boolean;
  scheduledTimeMs: number;
  startedTimeMs: number;
  /** Dispatch not before this time (backoff for crash-looping tasks, start delay). */
  notBeforeMs: number;
}

/** A pending activity, keyed by its scheduled event id. */
export interface ActivityState {
  scheduledEventId: number;
  activityId: string;
  activityType: string;
  taskQueue: string;
  state: 'scheduled' | 'backoff' | 'started';
  attempt: number;
  scheduledTimeMs: number;
  attemptScheduledTimeMs: number;
  startedTimeMs: number;
  startedIdentity: string;
  startedRequestId: string;
  scheduleToCloseMs: number;
  scheduleToStartMs: number;
  startToCloseMs: number;
  heartbeatMs: number;
  retryPolicy: RetryPolicy;
  heartbeatDetails: Msg | null;
  lastHeartbeatTimeMs: number;
  lastFailure: Msg | null;
  cancelRequestedEventId: number;
}

/** A running timer, keyed by timer id. */
export interface TimerState {
  timerId: string;
  startedEventId: number;
  fireAtMs: number;
}

/** A child run's link to the parent run that started it (kept across continue-as-new). */
export interface ParentLink {
  namespace: string;
  workflowId: string;
  runId: string;
  /** The parent's `StartChildWorkflowExecutionInitiated` event id. */
  initiatedEventId: number;
}

/** A child started by this run and not closed yet, keyed by its initiated event id. */
export interface ChildState {
  initiatedEventId: number;
  namespace: string;
  workflowId: string;
  /** The child's first run (the one `ChildWorkflowExecutionStarted` reported). */
  runId: string;
  workflowType: string;
  startedEventId: number;
  parentClosePolicy: string;
}

/** What a run persists besides its history: everything needed to resume after a restart. */
export interface RunState {
  namespace: string;
  workflowId: string;
  runId: string;
  firstExecutionRunId: string;
  workflowType: string;
  taskQueue: string;
  requestId: string;
  status: ExecutionStatus;
  startTimeMs: number;
  executionTimeMs: number;
  closeTimeMs: number;
  workflowTaskTimeoutMs: number;
  runDeadlineMs: number;
  executionDeadlineMs: number;
  memo: Msg | null;
  searchAttributes: Msg | null;
  workflowTask: WorkflowTaskState | null;
  /** Another workflow task must follow the started one (something happened meanwhile). */
  needsWorkflowTask: boolean;
  buffered: BufferedEvent[];
  lastCompletedStartedEventId: number;
  stickyQueue: string;
  stickyScheduleToStartMs: number;
  activities: Record<string, ActivityState>;
  timers: Record<string, TimerState>;
  cancelRequested: boolean;
  signalRequestIds: string[];
  closeEventId: number;
  /** Set on child runs. Optional: state persisted before child workflows existed lacks it. */
  parent?: ParentLink | null;
  /** Open children by initiated event id. Optional for the same reason. */
  children?: Record<string, ChildState>;
  /** The start request's user metadata (static summary and details); optional like the above. */
  userMetadata?: Msg | null;
}

/** A consistent (workflow-task) or legacy (query-task) query waiting for its answer. */
export interface PendingQuery {
  queryId: string;
  query: Msg;
  /** Scheduled event id of the workflow task that carries it; 0 = not delivered yet. */
  deliveredIn: number;
  legacy: boolean;
  /** Queue a legacy query task waits on. */
  queue: string;
  resolve(result: QueryOutcome): void;
}

export type QueryOutcome =
  { kind: 'answered'; answer: Msg | null } | { kind: 'failed'; message: string; failure: Msg | null };

/** A run in memory: persisted state, its history, and runtime-only waiters. */
export interface Run {
  key: string;
  state: RunState;
  events: HistoryEvent[];
  /** Events up to this count are already handed to the store. */
  persistedEvents: number;
  queries: Map<string, PendingQuery>;
  historyWaiters: Set<() => void>;
}

export const RUNNING: ExecutionStatus = 'WORKFLOW_EXECUTION_STATUS_RUNNING';

/** Map key of a run. */
export function runKey(namespace: string, runId: string): string {
  return `${namespace}\u0000${runId}`;
}

/** Map key of a workflow id's current run pointer. */
export function workflowKey(namespace: string, workflowId: string): string {
  return `${namespace}\u0000${workflowId}`;
}

/** Wraps a freshly loaded or created state and history into an in-memory run. */
export function makeRun(state: RunState, events: HistoryEvent[]): Run {
  return {
    key: runKey(state.namespace, state.runId),
    state,
    events,
    persistedEvents: events.length,
    queries: new Map(),
    historyWaiters: new Set(),
  };
}

/**
 * JSON with Buffers kept intact (payload bytes live deep inside run state). Runs once per changed
 * run per commit: primitives return before the holder lookup, and bytes are base64'd in place.
 */
export function serializeRunState(state: RunState): string {
  return JSON.stringify(state, function replacer(this: Record<string, unknown>, key: string, value: unknown) {
    if (typeof value !== 'object' || value === null) return value;
    const raw = this[key];
    return raw instanceof Uint8Array
      ? { $b: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64') }
      : value;
  });
}

/** Inverse of {@link serializeRunState}. */
export function deserializeRunState(text: string): RunState {
  return JSON.parse(text, (_key, value: unknown) => {
    if (value !== null && typeof value === 'object' && typeof (value as { $b?: unknown }).$b === 'string') {
      return Buffer.from((value as { $b: string }).$b, 'base64');
    }
    return value;
  }) as RunState;
}
