import type { ActivityOptions, Duration, RetryPolicy } from '@temporalio/common';
import { NON_RETRYABLE_WORKFLOW_ERROR_TYPES } from './errors';

/**
 * Workflow-level retry and timeout presets, named so call sites never carry literals. Activity
 * families (SLM, tools, memory, budget) keep their presets next to the activities
 * (`activities/shared/activity-options.ts`); these cover what only the workflows decide.
 */

/** Retries for the capsule load/verify/compile activity: a registry read plus pure compilation. */
export const CAPSULE_LOAD_RETRY_POLICY: RetryPolicy = {
  initialInterval: '500 milliseconds',
  backoffCoefficient: 2,
  maximumInterval: '20 seconds',
  maximumAttempts: 8,
  nonRetryableErrorTypes: [...NON_RETRYABLE_WORKFLOW_ERROR_TYPES],
};

/** Options for the capsule load/verify/compile activity. */
export const CAPSULE_LOAD_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '5 minutes',
  retry: CAPSULE_LOAD_RETRY_POLICY,
};

/**
 * Child workflows are not retried as a whole: an agent loop has side effects already recorded in
 * its history, and its activities carry their own retries. A failed child fails its step.
 */
export const CHILD_WORKFLOW_RETRY_POLICY: RetryPolicy = { maximumAttempts: 1 };

/** How long a review checkpoint waits for a `review` signal when the plan gives no timeout. */
export const DEFAULT_REVIEW_TIMEOUT: Duration = '24 hours';

/** How long a pending approval (review band, forecast over the approval limit) waits. */
export const DEFAULT_APPROVAL_TIMEOUT: Duration = '24 hours';

/** Agent turns a persona runs before it continues-as-new, carrying only its summary forward. */
export const PERSONA_TURNS_BEFORE_CONTINUE_AS_NEW = 25;

/** Default maximum steps of one capsule run executing at once. */
export const DEFAULT_STEP_CONCURRENCY = 4;

/** Fraction of the context budget above which old turns are compacted into a summary. */
export const COMPACTION_THRESHOLD = 0.8;

/**
 * Options for `verifyApproval`: a signature check and one Postgres write. Retried while Postgres
 * is away; a refusal is an answer, not a failure, so only infrastructure errors retry.
 */
export const IDENTITY_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '10 minutes',
  retry: {
    initialInterval: '500 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    nonRetryableErrorTypes: [...NON_RETRYABLE_WORKFLOW_ERROR_TYPES],
  },
};
