import type { ActivityOptions, RetryPolicy } from '@temporalio/common';
import { NON_RETRYABLE_ERROR_TYPES } from './error-types';

/**
 * Retry and timeout presets for `proxyActivities`, one per activity family. Type-only imports
 * keep this module safe to load in the workflow sandbox. SLM clients run with `maxRetries: 0`, so
 * these policies are the only retry layer; `nextRetryDelay` on a failure (429 Retry-After)
 * overrides the backoff for that attempt.
 */
export const SLM_RETRY_POLICY: RetryPolicy = {
  initialInterval: '2 seconds',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
  maximumAttempts: 8,
  nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES],
};

export const TOOL_RETRY_POLICY: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '30 seconds',
  maximumAttempts: 5,
  nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES],
};

export const STORE_RETRY_POLICY: RetryPolicy = {
  initialInterval: '200 milliseconds',
  backoffCoefficient: 2,
  maximumInterval: '10 seconds',
  maximumAttempts: 10,
  nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES],
};

/** `slmComplete`: a model call can take minutes; heartbeats are not used (one request). */
export const SLM_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '3 minutes',
  scheduleToCloseTimeout: '20 minutes',
  retry: SLM_RETRY_POLICY,
};

/** `executeTool`: bounded by the http tool's own timeout plus filesystem/DB work. */
export const TOOL_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '10 minutes',
  retry: TOOL_RETRY_POLICY,
};

/** Memory and budget activities: short database/Redis round trips. */
export const STORE_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '15 seconds',
  scheduleToCloseTimeout: '2 minutes',
  retry: STORE_RETRY_POLICY,
};

/**
 * `writeRunInputs`: files into the run workspace before the first step (up to 64 files of
 * 1 MiB, payload-store reads included). Idempotent, so the tool retry policy applies.
 */
export const RUN_INPUTS_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  scheduleToCloseTimeout: '10 minutes',
  retry: TOOL_RETRY_POLICY,
};
