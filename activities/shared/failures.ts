import { ApplicationFailure, type Duration } from '@temporalio/common';
import type { z } from 'zod';
import { ERROR_TYPES, NON_RETRYABLE_ERROR_TYPES, type ErrorType } from './error-types';

export interface FailureOptions {
  cause?: Error;
  /** Overrides the retry policy's backoff for the next attempt (e.g. from Retry-After). */
  nextRetryDelay?: Duration;
  /** Structured, secret-free facts for the workflow (serialized into history). */
  details?: Record<string, unknown>;
}

/**
 * Builds the `ApplicationFailure` for one of our error types; whether it is retryable follows
 * from the type, so call sites cannot disagree with the retry presets.
 */
export function failure(type: ErrorType, message: string, options: FailureOptions = {}): ApplicationFailure {
  return ApplicationFailure.create({
    type,
    message,
    nonRetryable: NON_RETRYABLE_ERROR_TYPES.includes(type),
    cause: options.cause,
    nextRetryDelay: options.nextRetryDelay,
    details: options.details ? [options.details] : undefined,
  });
}

/** Lists every zod issue as `path: message`, so the caller sees each field to fix. */
export function describeIssues(error: z.ZodError, root = ''): string {
  return error.issues
    .map((issue) => {
      const path = [root, ...issue.path.map(String)].filter(Boolean).join('.');
      return `${path || '(root)'}: ${issue.message}`;
    })
    .join('; ');
}

/** Parses an activity input at the edge; a mismatch is a non-retryable `InvalidActivityInput`. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, activity: string): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw failure(
      ERROR_TYPES.InvalidActivityInput,
      `${activity}: invalid input: ${describeIssues(parsed.error)}`,
      {
        details: {
          issues: parsed.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })),
        },
      },
    );
  }
  return parsed.data;
}
