import type { WorkflowHandle } from '@temporalio/client';
import { eventsQuery } from '../../workflows/shared/definitions';

/** What became of a decision sent to a run. */
export type ApprovalVerdict =
  | { outcome: 'applied'; by?: string; verified?: boolean }
  | { outcome: 'refused'; reason: string }
  /** Not decided within the wait (a busy worker): the run keeps the signal and decides later. */
  | { outcome: 'pending' };

/**
 * Waits for the run to verify and apply (or refuse) the decision on `approvalId`, reading the
 * run's event log from index `after` (its length before the signal was sent). Reviews answer the
 * same way, under their review id (`reviewApprovalId`).
 */
export async function awaitApprovalVerdict(
  handle: WorkflowHandle,
  approvalId: string,
  after: number,
  { waitMs = 10_000, pollMs = 100 }: { waitMs?: number; pollMs?: number } = {},
): Promise<ApprovalVerdict> {
  const deadline = Date.now() + waitMs;
  let from = after;
  for (;;) {
    const view = await handle.query(eventsQuery, { after: from, limit: 1000 });
    for (const event of view.events) {
      if (event.type === 'approval.refused' && event.approvalId === approvalId) {
        return { outcome: 'refused', reason: event.reason };
      }
      if (event.type === 'approval.resolved' && event.approvalId === approvalId) {
        return {
          outcome: 'applied',
          ...(event.by !== undefined ? { by: event.by } : {}),
          ...(event.verified !== undefined ? { verified: event.verified } : {}),
        };
      }
    }
    from = view.from + view.events.length;
    if (Date.now() >= deadline) return { outcome: 'pending' };
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** Length of the run's event log now: where to start looking for a verdict. */
export async function eventLogLength(handle: WorkflowHandle): Promise<number> {
  return (await handle.query(eventsQuery, { after: 0, limit: 1 })).total;
}

/** Sends a decision on `approvalId` with `send` (the signal) and waits for the run's verdict. */
export async function sendDecision(
  handle: WorkflowHandle,
  approvalId: string,
  send: () => Promise<void>,
  options?: { waitMs?: number; pollMs?: number },
): Promise<ApprovalVerdict> {
  const after = await eventLogLength(handle);
  await send();
  return awaitApprovalVerdict(handle, approvalId, after, options);
}
