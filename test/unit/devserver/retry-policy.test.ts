import {
  decideRetry,
  normalizeRetryPolicy,
  validateRetryPolicy,
} from '../../../services/devserver/retry-policy';

describe('normalizeRetryPolicy', () => {
  it('fills the server defaults', () => {
    expect(normalizeRetryPolicy(undefined)).toEqual({
      initialIntervalMs: 1000,
      backoffCoefficient: 2,
      maximumIntervalMs: 100_000,
      maximumAttempts: 0,
      nonRetryableErrorTypes: [],
    });
  });

  it('derives the maximum interval from a given initial interval', () => {
    const policy = normalizeRetryPolicy({
      initialInterval: { seconds: 0, nanos: 50_000_000 },
      maximumAttempts: 3,
    });
    expect(policy.initialIntervalMs).toBe(50);
    expect(policy.maximumIntervalMs).toBe(5000);
    expect(policy.maximumAttempts).toBe(3);
  });
});

describe('validateRetryPolicy', () => {
  it('accepts an absent or sane policy', () => {
    expect(validateRetryPolicy(undefined)).toBeUndefined();
    expect(validateRetryPolicy({ backoffCoefficient: 1.5, maximumAttempts: 4 })).toBeUndefined();
  });

  it('names the offending field', () => {
    expect(validateRetryPolicy({ backoffCoefficient: 0.5 })).toMatch(/backoffCoefficient/);
    expect(validateRetryPolicy({ maximumAttempts: -1 })).toMatch(/maximumAttempts/);
    expect(
      validateRetryPolicy({ initialInterval: { seconds: 10 }, maximumInterval: { seconds: 1 } }),
    ).toMatch(/maximumInterval/);
  });
});

describe('decideRetry', () => {
  const policy = normalizeRetryPolicy({ initialInterval: { seconds: 1 }, maximumInterval: { seconds: 5 } });
  const now = 1_000_000;

  it('backs off exponentially, capped at the maximum interval', () => {
    const delays = [1, 2, 3, 4, 5].map((attempt) => decideRetry(policy, attempt, { message: 'x' }, now, 0));
    expect(delays).toEqual([
      { state: 'RETRY_STATE_IN_PROGRESS', delayMs: 1000 },
      { state: 'RETRY_STATE_IN_PROGRESS', delayMs: 2000 },
      { state: 'RETRY_STATE_IN_PROGRESS', delayMs: 4000 },
      { state: 'RETRY_STATE_IN_PROGRESS', delayMs: 5000 },
      { state: 'RETRY_STATE_IN_PROGRESS', delayMs: 5000 },
    ]);
  });

  it('stops at the attempt limit', () => {
    const limited = { ...policy, maximumAttempts: 2 };
    expect(decideRetry(limited, 1, {}, now, 0).state).toBe('RETRY_STATE_IN_PROGRESS');
    expect(decideRetry(limited, 2, {}, now, 0).state).toBe('RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED');
  });

  it('honours non-retryable flags and types before the attempt limit', () => {
    const typed = { ...policy, nonRetryableErrorTypes: ['Fatal'] };
    expect(decideRetry(typed, 1, { applicationFailureInfo: { nonRetryable: true } }, now, 0).state).toBe(
      'RETRY_STATE_NON_RETRYABLE_FAILURE',
    );
    expect(decideRetry(typed, 1, { applicationFailureInfo: { type: 'Fatal' } }, now, 0).state).toBe(
      'RETRY_STATE_NON_RETRYABLE_FAILURE',
    );
    expect(decideRetry(typed, 1, { applicationFailureInfo: { type: 'Other' } }, now, 0).state).toBe(
      'RETRY_STATE_IN_PROGRESS',
    );
  });

  it('retries start-to-close and heartbeat timeouts unless listed, never schedule-to-start', () => {
    const startToClose = { timeoutFailureInfo: { timeoutType: 'TIMEOUT_TYPE_START_TO_CLOSE' } };
    expect(decideRetry(policy, 1, startToClose, now, 0).state).toBe('RETRY_STATE_IN_PROGRESS');
    const listed = { ...policy, nonRetryableErrorTypes: ['TemporalTimeout:StartToClose'] };
    expect(decideRetry(listed, 1, startToClose, now, 0).state).toBe('RETRY_STATE_NON_RETRYABLE_FAILURE');
    const scheduleToStart = { timeoutFailureInfo: { timeoutType: 'TIMEOUT_TYPE_SCHEDULE_TO_START' } };
    expect(decideRetry(policy, 1, scheduleToStart, now, 0).state).toBe('RETRY_STATE_NON_RETRYABLE_FAILURE');
  });

  it('uses nextRetryDelay from the failure and gives up when the deadline would pass', () => {
    const failure = { applicationFailureInfo: { nextRetryDelay: { seconds: 7 } } };
    expect(decideRetry(policy, 1, failure, now, 0)).toEqual({
      state: 'RETRY_STATE_IN_PROGRESS',
      delayMs: 7000,
    });
    expect(decideRetry(policy, 1, failure, now, now + 5000).state).toBe('RETRY_STATE_TIMEOUT');
  });
});
