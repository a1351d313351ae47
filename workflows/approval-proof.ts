import { getExternalWorkflowHandle, proxyActivities } from '@temporalio/workflow';
import type { ApprovalVerdict, VerifyApprovalActivities, VerifyApprovalInput } from '../activities/identity';
import type { ApprovalDecision, ApprovalRegistry } from './approvals';
import { approveSignal } from './shared/definitions';
import { describeFailure } from './failures';
import { IDENTITY_ACTIVITY_OPTIONS } from './shared/presets';

/**
 * Checking the proof an `approve` or `review` signal carries before a workflow applies it. The
 * signal only records; the `verifyApproval` activity checks the approver's signed token (or, in
 * local mode, accepts an unsigned decision as unverified); the workflow applies the decision with
 * the verified subject, or records the refusal and keeps waiting. Sandbox-safe.
 */

/**
 * Patch id: approvals and reviews are applied only after `verifyApproval`, and a root run checks
 * its caller's identity (tenant, inline capsule) when it loads its plan.
 */
export const IDENTITY_PATCH = 'somagent-identity-proof';

export { reviewApprovalId } from './shared/identity';

const { verifyApproval } = proxyActivities<VerifyApprovalActivities>(IDENTITY_ACTIVITY_OPTIONS);

/** Verifies a decision; a verification that cannot complete is a refusal (the run keeps waiting). */
export async function verifyDecision(input: VerifyApprovalInput): Promise<ApprovalVerdict> {
  try {
    return await verifyApproval(input);
  } catch (err) {
    return { ok: false, reason: `the ${input.kind} could not be verified: ${describeFailure(err).message}` };
  }
}

/** The run a decision is verified for. */
export interface ProofRun {
  tenant: string;
  workflowId: string;
  runId: string;
}

/** The verification input of a signal's proof (its token and claimed `by`) for `run`. */
export function proofOf(decision: { token?: string; by?: string }, run: ProofRun) {
  return {
    ...(decision.token !== undefined ? { token: decision.token } : {}),
    ...(decision.by !== undefined ? { by: decision.by } : {}),
    ...run,
  };
}

/** What became of an `approve` signal in the workflow that received it. */
export type ApprovalOutcome =
  /** Unknown or already decided, or sent on to the workflow that waits (which verifies it). */
  | { kind: 'passed' }
  | { kind: 'refused'; reason: string }
  /** Verified and settled here: the decision with the verified subject. */
  | { kind: 'applied'; decision: ApprovalDecision };

/**
 * Handles an `approve` signal: an approval another workflow waits for goes on to it unverified
 * (the workflow that applies a decision verifies it); one this workflow waits for is verified,
 * then settled in `approvals` with the token's subject in place of the signal's `by`.
 */
export async function receiveApproval(
  approvals: ApprovalRegistry,
  decision: ApprovalDecision,
  run: ProofRun,
): Promise<ApprovalOutcome> {
  const approval = approvals.get(decision.approvalId);
  if (!approval) return { kind: 'passed' };
  if (approval.workflowId !== run.workflowId) {
    await getExternalWorkflowHandle(approval.workflowId)
      .signal(approveSignal, decision)
      .catch(() => undefined);
    return { kind: 'passed' };
  }
  const verdict = await verifyDecision({
    approvalId: decision.approvalId,
    kind: 'approval',
    approved: decision.approved,
    ...proofOf(decision, run),
  });
  if (!verdict.ok) return { kind: 'refused', reason: verdict.reason };
  const applied: ApprovalDecision = {
    approvalId: decision.approvalId,
    approved: decision.approved,
    by: verdict.subject,
    verified: verdict.verified,
    ...(decision.comment !== undefined ? { comment: decision.comment } : {}),
  };
  // Decided meanwhile (a second signal verified first): the first decision stands.
  if (approvals.resolve(applied).kind !== 'local') return { kind: 'passed' };
  return { kind: 'applied', decision: applied };
}
