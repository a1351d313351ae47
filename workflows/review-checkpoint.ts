import type { ReviewSignal } from './shared/definitions';
import { WORKFLOW_ERROR_TYPES } from './shared/errors';

/**
 * Review checkpoints: after a step's persona finishes, the capsule run waits for a `review`
 * signal (or a timeout) before the step counts as succeeded. Signals may arrive before the step
 * reaches its checkpoint, so verdicts are buffered per step in a {@link ReviewInbox}; the workflow
 * waits with `condition(() => inbox.has(stepId), timeout)` and turns the result into an outcome
 * with {@link reviewOutcome}. Pure; sandbox-safe.
 */

/** A step's review checkpoint, as the compiled plan carries it. */
export interface ReviewCheckpoint {
  prompt: string;
  timeoutMs: number;
  /** What a timeout means. */
  onTimeout: 'reject' | 'approve';
  /** When set, only these principals may review. */
  reviewers?: string[];
}

export type ReviewOutcome =
  | { passed: true; timedOut: boolean; by?: string; comment?: string }
  | { passed: false; errorType: 'ReviewRejected' | 'ReviewTimedOut'; reason: string };

/** Buffers the latest acceptable verdict per step. */
export class ReviewInbox {
  private readonly verdicts = new Map<string, ReviewSignal>();

  /**
   * Offers a signal. Refused (not stored) when the step's checkpoint names reviewers and the
   * signal's `by` is not one of them; `checkpoints` maps step ids to their checkpoints.
   */
  offer(
    signal: ReviewSignal,
    checkpoints: ReadonlyMap<string, ReviewCheckpoint>,
  ): { accepted: true } | { accepted: false; reason: string } {
    const checkpoint = checkpoints.get(signal.stepId);
    if (!checkpoint) return { accepted: false, reason: `step "${signal.stepId}" has no review checkpoint` };
    if (checkpoint.reviewers && checkpoint.reviewers.length > 0) {
      if (signal.by === undefined || !checkpoint.reviewers.includes(signal.by)) {
        return {
          accepted: false,
          reason: `"${signal.by ?? '(anonymous)'}" may not review step "${signal.stepId}"; reviewers: ${checkpoint.reviewers.join(', ')}`,
        };
      }
    }
    this.verdicts.set(signal.stepId, { ...signal });
    return { accepted: true };
  }

  has(stepId: string): boolean {
    return this.verdicts.has(stepId);
  }

  /** Removes and returns the step's verdict. */
  take(stepId: string): ReviewSignal | undefined {
    const verdict = this.verdicts.get(stepId);
    this.verdicts.delete(stepId);
    return verdict;
  }
}

/** The outcome of a checkpoint given the verdict, or `undefined` when the wait timed out. */
export function reviewOutcome(
  checkpoint: ReviewCheckpoint,
  verdict: ReviewSignal | undefined,
): ReviewOutcome {
  if (verdict === undefined) {
    return checkpoint.onTimeout === 'approve'
      ? { passed: true, timedOut: true }
      : {
          passed: false,
          errorType: WORKFLOW_ERROR_TYPES.ReviewTimedOut,
          reason: `no review within ${formatDuration(checkpoint.timeoutMs)}`,
        };
  }
  const extra = {
    ...(verdict.by !== undefined ? { by: verdict.by } : {}),
    ...(verdict.comment !== undefined ? { comment: verdict.comment } : {}),
  };
  if (verdict.verdict === 'approve') return { passed: true, timedOut: false, ...extra };
  return {
    passed: false,
    errorType: WORKFLOW_ERROR_TYPES.ReviewRejected,
    reason: `rejected by ${verdict.by ?? 'a reviewer'}${verdict.comment ? `: ${verdict.comment}` : ''}`,
  };
}

function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
