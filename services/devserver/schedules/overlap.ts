/** ScheduleOverlapPolicy without the SCHEDULE_OVERLAP_POLICY_ prefix. */
export type OverlapPolicy =
  'SKIP' | 'BUFFER_ONE' | 'BUFFER_ALL' | 'CANCEL_OTHER' | 'TERMINATE_OTHER' | 'ALLOW_ALL';

/** Policies in proto enum order (SCHEDULE_OVERLAP_POLICY_SKIP = 1, …). */
export const OVERLAP_POLICIES: readonly OverlapPolicy[] = [
  'SKIP',
  'BUFFER_ONE',
  'BUFFER_ALL',
  'CANCEL_OTHER',
  'TERMINATE_OTHER',
  'ALLOW_ALL',
];

/**
 * Reads a policy as clients send it (enum name, short name or number). UNSPECIFIED, 0 and
 * undefined give `fallback` (the schedule's policy, itself defaulting to SKIP).
 */
export function parseOverlapPolicy(value: unknown, fallback: OverlapPolicy = 'SKIP'): OverlapPolicy {
  if (typeof value === 'number') return OVERLAP_POLICIES[value - 1] ?? fallback;
  if (typeof value !== 'string') return fallback;
  const short = value.replace(/^SCHEDULE_OVERLAP_POLICY_/, '').toUpperCase();
  return OVERLAP_POLICIES.find((p) => p === short) ?? fallback;
}

/** What to do with an action that is due now. */
export type OverlapAction =
  | { kind: 'start' }
  | { kind: 'buffer' }
  /** Do not start; bump the named ScheduleInfo counter. */
  | { kind: 'drop'; counter: 'overlapSkipped' | 'bufferDropped' }
  /** Request cancellation of the running workflow(s), then start this one when they close. */
  | { kind: 'cancelThenStart' }
  /** Terminate the running workflow(s), then start this one. */
  | { kind: 'terminateThenStart' };

/** State the decision needs. */
export interface OverlapState {
  policy: OverlapPolicy;
  /** Whether a workflow started by this schedule is still running. */
  running: boolean;
  /** How many actions are already buffered waiting for it. */
  buffered: number;
}

/**
 * Overlap rule for one due action (Temporal semantics): nothing running ⇒ start (unless the
 * buffer is non-empty, to keep order); SKIP drops (overlapSkipped); BUFFER_ONE buffers one and
 * drops the rest (bufferDropped); BUFFER_ALL buffers; CANCEL_OTHER / TERMINATE_OTHER stop the
 * running one first; ALLOW_ALL starts alongside.
 */
export function decideOverlap({ policy, running, buffered }: OverlapState): OverlapAction {
  if (policy === 'ALLOW_ALL') return { kind: 'start' };
  if (!running) return buffered > 0 ? { kind: 'buffer' } : { kind: 'start' };
  switch (policy) {
    case 'SKIP':
      return { kind: 'drop', counter: 'overlapSkipped' };
    case 'BUFFER_ONE':
      return buffered === 0 ? { kind: 'buffer' } : { kind: 'drop', counter: 'bufferDropped' };
    case 'BUFFER_ALL':
      return { kind: 'buffer' };
    case 'CANCEL_OTHER':
      return { kind: 'cancelThenStart' };
    case 'TERMINATE_OTHER':
      return { kind: 'terminateThenStart' };
  }
}
