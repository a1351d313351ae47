/** `google.protobuf.Timestamp` / `Duration` in plain-object form. */
export interface ProtoTime {
  seconds?: number | string | null;
  nanos?: number | null;
}

/** Milliseconds since the epoch → Timestamp. */
export function msToTimestamp(ms: number): { seconds: number; nanos: number } {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: Math.round((ms - seconds * 1000) * 1e6) };
}

/** Milliseconds → Duration (zero is a valid, explicit "unlimited"). */
export function msToDuration(ms: number): { seconds: number; nanos: number } {
  return msToTimestamp(ms);
}

/** Duration or Timestamp → milliseconds; absent → 0. */
export function protoTimeToMs(t: ProtoTime | null | undefined): number {
  if (!t) return 0;
  return Number(t.seconds ?? 0) * 1000 + Math.floor(Number(t.nanos ?? 0) / 1e6);
}
