import { msToDuration, protoTimeToMs, type ProtoTime } from './time';

/** A RetryPolicy with every default filled in, durations in milliseconds. */
export interface RetryPolicy {
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
  /** 0 = unlimited. */
  maximumAttempts: number;
  nonRetryableErrorTypes: string[];
}

/** The RetryPolicy message as it arrives in a command. */
export interface RetryPolicyMsg {
  initialInterval?: ProtoTime | null;
  backoffCoefficient?: number | null;
  maximumInterval?: ProtoTime | null;
  maximumAttempts?: number | null;
  nonRetryableErrorTypes?: string[] | null;
}

const DEFAULT_INITIAL_INTERVAL_MS = 1000;
const DEFAULT_BACKOFF_COEFFICIENT = 2;
const DEFAULT_MAXIMUM_INTERVAL_FACTOR = 100;

/** Fills server defaults (initial 1 s, coefficient 2, max = 100 × initial, unlimited attempts). */
export function normalizeRetryPolicy(msg: RetryPolicyMsg | null | undefined): RetryPolicy {
  const initialIntervalMs = protoTimeToMs(msg?.initialInterval) || DEFAULT_INITIAL_INTERVAL_MS;
  return {
    initialIntervalMs,
    backoffCoefficient: msg?.backoffCoefficient || DEFAULT_BACKOFF_COEFFICIENT,
    maximumIntervalMs:
      protoTimeToMs(msg?.maximumInterval) || initialIntervalMs * DEFAULT_MAXIMUM_INTERVAL_FACTOR,
    maximumAttempts: msg?.maximumAttempts ?? 0,
    nonRetryableErrorTypes: msg?.nonRetryableErrorTypes ?? [],
  };
}

/** Returns a message naming the invalid RetryPolicy field, or undefined when it is sane. */
export function validateRetryPolicy(msg: RetryPolicyMsg | null | undefined): string | undefined {
  if (!msg) return undefined;
  if (msg.backoffCoefficient != null && msg.backoffCoefficient !== 0 && msg.backoffCoefficient < 1) {
    return 'retryPolicy.backoffCoefficient must be 1 or larger';
  }
  if ((msg.maximumAttempts ?? 0) < 0) return 'retryPolicy.maximumAttempts must not be negative';
  const initial = protoTimeToMs(msg.initialInterval);
  const maximum = protoTimeToMs(msg.maximumInterval);
  if (initial < 0 || maximum < 0) return 'retryPolicy intervals must not be negative';
  if (maximum > 0 && maximum < initial) return 'retryPolicy.maximumInterval must be at least initialInterval';
  return undefined;
}

/** RetryPolicy back in message form for events and poll responses. */
export function retryPolicyToMsg(policy: RetryPolicy): Record<string, unknown> {
  return {
    initialInterval: msToDuration(policy.initialIntervalMs),
    backoffCoefficient: policy.backoffCoefficient,
    maximumInterval: msToDuration(policy.maximumIntervalMs),
    maximumAttempts: policy.maximumAttempts,
    nonRetryableErrorTypes: policy.nonRetryableErrorTypes,
  };
}

/** Failure as far as retry decisions look into it. */
export interface FailureMsg {
  message?: string | null;
  applicationFailureInfo?: {
    type?: string | null;
    nonRetryable?: boolean | null;
    nextRetryDelay?: ProtoTime | null;
  } | null;
  timeoutFailureInfo?: { timeoutType?: string | null } | null;
  canceledFailureInfo?: unknown;
  terminatedFailureInfo?: unknown;
}

export type RetryState =
  | 'RETRY_STATE_IN_PROGRESS'
  | 'RETRY_STATE_NON_RETRYABLE_FAILURE'
  | 'RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED'
  | 'RETRY_STATE_TIMEOUT';

export type RetryDecision =
  | { state: 'RETRY_STATE_IN_PROGRESS'; delayMs: number }
  | { state: Exclude<RetryState, 'RETRY_STATE_IN_PROGRESS'> };

const TIMEOUT_TYPE_NAMES: Record<string, string> = {
  TIMEOUT_TYPE_START_TO_CLOSE: 'TemporalTimeout:StartToClose',
  TIMEOUT_TYPE_HEARTBEAT: 'TemporalTimeout:Heartbeat',
  TIMEOUT_TYPE_SCHEDULE_TO_START: 'TemporalTimeout:ScheduleToStart',
  TIMEOUT_TYPE_SCHEDULE_TO_CLOSE: 'TemporalTimeout:ScheduleToClose',
};

/**
 * Decides whether attempt `attempt` (1-based) that ended with `failure` is retried, and after how
 * long — the server's rules: non-retryable flags and types first, then the attempt limit, then
 * the backoff (or the failure's `nextRetryDelay`), which must fit before `deadlineMs` (0 = none).
 */
export function decideRetry(
  policy: RetryPolicy,
  attempt: number,
  failure: FailureMsg,
  nowMs: number,
  deadlineMs: number,
): RetryDecision {
  if (!isRetryable(policy, failure)) return { state: 'RETRY_STATE_NON_RETRYABLE_FAILURE' };
  if (policy.maximumAttempts > 0 && attempt >= policy.maximumAttempts) {
    return { state: 'RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED' };
  }
  const explicit = protoTimeToMs(failure.applicationFailureInfo?.nextRetryDelay);
  const delayMs =
    explicit > 0
      ? explicit
      : Math.min(
          policy.initialIntervalMs * Math.pow(policy.backoffCoefficient, attempt - 1),
          policy.maximumIntervalMs,
        );
  if (deadlineMs > 0 && nowMs + delayMs >= deadlineMs) return { state: 'RETRY_STATE_TIMEOUT' };
  return { state: 'RETRY_STATE_IN_PROGRESS', delayMs: Math.round(delayMs) };
}

function isRetryable(policy: RetryPolicy, failure: FailureMsg): boolean {
  if (failure.canceledFailureInfo || failure.terminatedFailureInfo) return false;
  const app = failure.applicationFailureInfo;
  if (app) {
    if (app.nonRetryable) return false;
    if (app.type && policy.nonRetryableErrorTypes.includes(app.type)) return false;
    return true;
  }
  const timeoutType = failure.timeoutFailureInfo?.timeoutType;
  if (timeoutType) {
    if (timeoutType === 'TIMEOUT_TYPE_SCHEDULE_TO_START' || timeoutType === 'TIMEOUT_TYPE_SCHEDULE_TO_CLOSE')
      return false;
    const name = TIMEOUT_TYPE_NAMES[timeoutType];
    return !(name && policy.nonRetryableErrorTypes.includes(name));
  }
  return true;
}
