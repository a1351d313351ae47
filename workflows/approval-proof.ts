import { proxyActivities } from '@temporalio/workflow';
import type { ApprovalVerdict, VerifyApprovalActivities, VerifyApprovalInput } from '../activities/identity';
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
