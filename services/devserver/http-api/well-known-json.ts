import { InvalidArgumentError } from '../errors';

/**
 * String forms of `google.protobuf.Timestamp` and `Duration` in the proto3 JSON mapping, written
 * the way Go's protojson writes them (0, 3, 6 or 9 fraction digits) so output matches the real
 * frontend byte for byte.
 */

/** `{seconds, nanos}` as protobufjs gives it: seconds may be a decimal string (int64). */
export interface SecondsNanos {
  seconds?: number | string | null;
  nanos?: number | null;
}

function fraction(nanos: number): string {
  if (nanos === 0) return '';
  const digits = String(nanos).padStart(9, '0');
  if (nanos % 1_000_000 === 0) return `.${digits.slice(0, 3)}`;
  if (nanos % 1_000 === 0) return `.${digits.slice(0, 6)}`;
  return `.${digits}`;
}

/** Timestamp → RFC 3339 in UTC, e.g. `2024-01-02T03:04:05.123456789Z`. */
export function timestampToJson({ seconds, nanos }: SecondsNanos): string {
  const secs = Number(seconds ?? 0);
  const date = new Date(secs * 1000);
  if (Number.isNaN(date.getTime())) throw new RangeError(`timestamp out of range: ${String(seconds)}s`);
  const whole = date.toISOString().replace(/\.\d{3}Z$/, '');
  return `${whole}${fraction(nanos ?? 0)}Z`;
}

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** RFC 3339 (any offset, up to nanoseconds) → Timestamp. */
export function timestampFromJson(value: string, field: string): { seconds: number; nanos: number } {
  const m = RFC3339.exec(value);
  if (!m) {
    throw new InvalidArgumentError(
      `${field}: invalid google.protobuf.Timestamp value ${JSON.stringify(value)} (expected RFC 3339, e.g. "2024-01-02T03:04:05Z")`,
    );
  }
  const [, y, mo, d, h, mi, s, frac, , sign, oh, om] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const offset = sign ? (sign === '-' ? -1 : 1) * (Number(oh) * 3600 + Number(om) * 60) : 0;
  return { seconds: ms / 1000 - offset, nanos: frac ? Number(frac.padEnd(9, '0')) : 0 };
}

/** Duration → `"1.5s"`, `"-0.250s"`, `"3600s"`. */
export function durationToJson({ seconds, nanos }: SecondsNanos): string {
  const secs = BigInt(seconds ?? 0);
  const n = nanos ?? 0;
  const negative = secs < 0n || n < 0;
  const abs = secs < 0n ? -secs : secs;
  return `${negative ? '-' : ''}${abs}${fraction(Math.abs(n))}s`;
}

const DURATION = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;

/** `"1.5s"` → Duration (seconds as a decimal string: int64 may exceed 2^53). */
export function durationFromJson(value: string, field: string): { seconds: string; nanos: number } {
  const m = DURATION.exec(value);
  if (!m) {
    throw new InvalidArgumentError(
      `${field}: invalid google.protobuf.Duration value ${JSON.stringify(value)} (expected seconds with an "s" suffix, e.g. "1.5s")`,
    );
  }
  const [, minus, secs, frac] = m;
  const nanos = frac ? Number(frac.padEnd(9, '0')) : 0;
  const sign = minus ? -1 : 1;
  return {
    seconds: `${minus && secs !== '0' ? '-' : ''}${BigInt(secs!)}`,
    nanos: nanos === 0 ? 0 : sign * nanos,
  };
}
