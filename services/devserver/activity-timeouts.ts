import { protoTimeToMs, type ProtoTime } from './time';

/** Activity timeouts in milliseconds after normalisation; 0 = unlimited. */
export interface ActivityTimeouts {
  scheduleToCloseMs: number;
  scheduleToStartMs: number;
  startToCloseMs: number;
  heartbeatMs: number;
}

/** The timeout fields of a ScheduleActivityTask command. */
export interface ActivityTimeoutFields {
  scheduleToCloseTimeout?: ProtoTime | null;
  scheduleToStartTimeout?: ProtoTime | null;
  startToCloseTimeout?: ProtoTime | null;
  heartbeatTimeout?: ProtoTime | null;
}

/**
 * The server's normalisation: with schedule-to-close, unset schedule-to-start/start-to-close
 * default to it and set ones are capped by it; with only start-to-close, schedule-to-close and
 * schedule-to-start default to the run timeout (0 = unlimited). Everything is capped by a
 * non-zero run timeout and the heartbeat timeout by start-to-close. Returns an error message
 * naming the field when neither schedule-to-close nor start-to-close is set.
 */
export function normalizeActivityTimeouts(
  fields: ActivityTimeoutFields,
  runTimeoutMs: number,
): ActivityTimeouts | string {
  let scheduleToClose = protoTimeToMs(fields.scheduleToCloseTimeout);
  let scheduleToStart = protoTimeToMs(fields.scheduleToStartTimeout);
  let startToClose = protoTimeToMs(fields.startToCloseTimeout);
  let heartbeat = protoTimeToMs(fields.heartbeatTimeout);
  if (scheduleToClose < 0 || scheduleToStart < 0 || startToClose < 0 || heartbeat < 0) {
    return 'activity timeouts must not be negative';
  }
  const cap = (value: number, limit: number): number =>
    limit > 0 && (value === 0 || value > limit) ? limit : value;
  if (scheduleToClose > 0) {
    scheduleToStart = scheduleToStart > 0 ? Math.min(scheduleToStart, scheduleToClose) : scheduleToClose;
    startToClose = startToClose > 0 ? Math.min(startToClose, scheduleToClose) : scheduleToClose;
  } else if (startToClose > 0) {
    scheduleToClose = runTimeoutMs;
    if (scheduleToStart === 0) scheduleToStart = runTimeoutMs;
  } else {
    return 'a ScheduleActivityTask command needs startToCloseTimeout or scheduleToCloseTimeout';
  }
  scheduleToClose = cap(scheduleToClose, runTimeoutMs);
  scheduleToStart = cap(scheduleToStart, runTimeoutMs);
  startToClose = cap(startToClose, runTimeoutMs);
  heartbeat = heartbeat > 0 && startToClose > 0 ? Math.min(heartbeat, startToClose) : heartbeat;
  return {
    scheduleToCloseMs: scheduleToClose,
    scheduleToStartMs: scheduleToStart,
    startToCloseMs: startToClose,
    heartbeatMs: heartbeat,
  };
}
