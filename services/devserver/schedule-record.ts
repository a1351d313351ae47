import type { Msg } from './proto';
import type { OverlapPolicy, SchedulePolicies, ScheduleSpec } from './schedules';

/** A workflow a schedule started: its id and the first run id of its chain. */
export interface ScheduledExecution {
  workflowId: string;
  runId: string;
}

/** One entry of `ScheduleInfo.recentActions`. */
export interface ScheduleActionRecord extends ScheduledExecution {
  /** Nominal (spec) time of the action. */
  scheduleTimeMs: number;
  /** When the workflow was really started. */
  actualTimeMs: number;
  /** Execution status enum name, refreshed when the run closes. */
  status: string;
}

/** An action waiting for the running workflow to close (BUFFER_*, CANCEL_OTHER). */
export interface BufferedAction {
  nominalTimeMs: number;
  policy: OverlapPolicy;
}

/** What a client sets in a `Schedule` message (CreateSchedule / UpdateSchedule). */
export interface ScheduleDefinition {
  spec: ScheduleSpec;
  action: Msg;
  policies: SchedulePolicies;
  paused: boolean;
  notes: string;
  limitedActions: boolean;
  remainingActions: number;
}

/**
 * A schedule as the engine keeps and persists it. `spec` is the request's spec in plain form
 * (epoch ms, durations in ms); `action` the request's `ScheduleAction` message verbatim.
 */
export interface ScheduleRecord extends ScheduleDefinition {
  namespace: string;
  scheduleId: string;
  memo: Msg | null;
  searchAttributes: Msg | null;
  /** Request id of the CreateSchedule call, so a retried create succeeds. */
  requestId: string;
  /** Bumped by every change a client makes; UpdateSchedule may insist on the one it read. */
  conflictToken: number;
  createTimeMs: number;
  updateTimeMs: number;
  /** Nominal time up to which the spec has been processed (the runner's cursor). */
  lastProcessedMs: number;
  actionCount: number;
  missedCatchupWindow: number;
  overlapSkipped: number;
  bufferDropped: number;
  running: ScheduledExecution[];
  recentActions: ScheduleActionRecord[];
  buffer: BufferedAction[];
}

/** One schedule's change in a transaction; `record` null means it was deleted. */
export interface ScheduleChange {
  namespace: string;
  scheduleId: string;
  record: ScheduleRecord | null;
}

/** Map key of a schedule. */
export function scheduleKey(namespace: string, scheduleId: string): string {
  return `${namespace}\u0000${scheduleId}`;
}

/** JSON with Buffers kept intact (payload bytes live in the action, memo and attributes). */
export function serializeScheduleRecord(record: ScheduleRecord): string {
  return JSON.stringify(
    record,
    function replacer(this: Record<string, unknown>, key: string, value: unknown) {
      const raw = this[key];
      return Buffer.isBuffer(raw) || raw instanceof Uint8Array
        ? { $b: Buffer.from(raw).toString('base64') }
        : value;
    },
  );
}

/** Inverse of {@link serializeScheduleRecord}. */
export function deserializeScheduleRecord(text: string): ScheduleRecord {
  return JSON.parse(text, (_key, value: unknown) => {
    if (value !== null && typeof value === 'object' && typeof (value as { $b?: unknown }).$b === 'string') {
      return Buffer.from((value as { $b: string }).$b, 'base64');
    }
    return value;
  }) as ScheduleRecord;
}
