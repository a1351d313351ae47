import { parseOverlapPolicy, type OverlapPolicy } from './overlap';

/** Catch-up window the server fills in when none is given. */
export const DEFAULT_CATCHUP_WINDOW_MS = 365 * 24 * 3_600_000;
/** Smallest catch-up window the server accepts; shorter ones are raised to it. */
export const MIN_CATCHUP_WINDOW_MS = 10_000;

/** proto SchedulePolicies as plain data. */
export interface SchedulePolicies {
  overlapPolicy: OverlapPolicy;
  catchupWindowMs: number;
  pauseOnFailure: boolean;
  keepOriginalWorkflowId: boolean;
}

/**
 * Fills policy defaults eagerly so they show in DescribeSchedule (server `ensureFields`):
 * overlap SKIP, catch-up window 365 days (at least 10 s).
 */
export function applyPolicyDefaults(
  input: {
    overlapPolicy?: unknown;
    catchupWindowMs?: number | undefined;
    pauseOnFailure?: boolean | undefined;
    keepOriginalWorkflowId?: boolean | undefined;
  } = {},
): SchedulePolicies {
  const window =
    input.catchupWindowMs && input.catchupWindowMs > 0 ? input.catchupWindowMs : DEFAULT_CATCHUP_WINDOW_MS;
  return {
    overlapPolicy: parseOverlapPolicy(input.overlapPolicy),
    catchupWindowMs: Math.max(window, MIN_CATCHUP_WINDOW_MS),
    pauseOnFailure: input.pauseOnFailure ?? false,
    keepOriginalWorkflowId: input.keepOriginalWorkflowId ?? false,
  };
}
