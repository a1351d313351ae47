import { ApplicationFailure, TemporalFailure } from '@temporalio/common';

/**
 * Reading failures that reach a workflow: an activity's `ApplicationFailure` arrives wrapped in
 * an `ActivityFailure`, a child's in a `ChildWorkflowFailure` (possibly several levels deep for
 * delegations). The workflow branches on the innermost application type (`ApprovalRequired`,
 * `ConstitutionDenied`, `BudgetExceeded`, ...). Pure; sandbox-safe.
 */

/** What a workflow needs to know about a failure. */
export interface FailureInfo {
  /** The innermost `ApplicationFailure.type`, or the error's name when there is none. */
  type: string;
  message: string;
  nonRetryable: boolean;
  /** The first details entry when it is an object (our failures put structured facts there). */
  details?: Record<string, unknown>;
}

/** The innermost `ApplicationFailure` in the cause chain, if any. */
export function findApplicationFailure(error: unknown): ApplicationFailure | undefined {
  let found: ApplicationFailure | undefined;
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 32; depth++) {
    if (current instanceof ApplicationFailure) found = current;
    current = current.cause;
  }
  return found;
}

/** Summarizes any thrown value for branching, status and results. */
export function describeFailure(error: unknown): FailureInfo {
  const app = findApplicationFailure(error);
  if (app) {
    const first = app.details?.[0];
    return {
      type: app.type ?? 'Error',
      message: app.message,
      nonRetryable: app.nonRetryable === true,
      ...(first !== null && typeof first === 'object' && !Array.isArray(first)
        ? { details: first as Record<string, unknown> }
        : {}),
    };
  }
  if (error instanceof Error) {
    const innermost = innermostError(error);
    return {
      type: innermost.name,
      message: innermost.message,
      nonRetryable: !(error instanceof TemporalFailure),
    };
  }
  return { type: 'Error', message: String(error), nonRetryable: true };
}

/** True when the innermost application failure has the given type. */
export function hasFailureType(error: unknown, type: string): boolean {
  return findApplicationFailure(error)?.type === type;
}

function innermostError(error: Error): Error {
  let current = error;
  for (let depth = 0; current.cause instanceof Error && depth < 32; depth++) current = current.cause;
  return current;
}
