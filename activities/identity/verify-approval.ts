import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import { z } from 'zod';
import { AuthError, type JwtVerifier } from '../../services/auth';
import { parseInput } from '../shared/failures';
import type { IdentityAudit } from './identity-audit';
import type { IdentityMode } from './identity-mode';

/**
 * `verifyApproval`: checks the proof that travels with an `approve` or `review` signal before the
 * workflow applies it. The proof is the approver's signed token (JWS): trusted key, not expired,
 * capability `capsule:approve`, the run's tenant, the approval id it decides (and, when it says,
 * the decision), used once. The verdict names the verified subject, which the workflow records
 * instead of the signal's free `by`; a refusal names why and the run keeps waiting. Every
 * verdict is an audit event. Retrying is safe: a token's use is recorded once per approval.
 */

/** Capability an approval or review token must carry in its `scope`. */
export const APPROVE_CAPABILITY = 'capsule:approve';

export interface VerifyApprovalInput {
  /** What is decided: an approval id, or a review id (`review-id.ts`). */
  approvalId: string;
  kind: 'approval' | 'review';
  approved: boolean;
  /** The signed token; required in strict mode. */
  token?: string;
  /** Who the signal says decided (free text; only trusted in local mode without a token). */
  by?: string;
  tenant: string;
  workflowId: string;
  runId: string;
}

export type ApprovalVerdict =
  { ok: true; subject: string; verified: boolean } | { ok: false; reason: string };

const inputSchema = z.strictObject({
  approvalId: z.string().min(1),
  kind: z.enum(['approval', 'review']),
  approved: z.boolean(),
  token: z.string().min(1).optional(),
  by: z.string().min(1).optional(),
  tenant: z.string().min(1),
  workflowId: z.string().min(1),
  runId: z.string().min(1),
});

export interface VerifyApprovalDeps {
  mode: IdentityMode;
  /** Verifies approvers' tokens (issuer, audience, trusted keys). */
  verifier: JwtVerifier;
  pool: Pool;
  audit: IdentityAudit;
}

type Check = { subject: string; exp: number } | { refused: string; subject?: string };

async function checkToken(verifier: JwtVerifier, input: VerifyApprovalInput, token: string): Promise<Check> {
  let principal;
  try {
    principal = await verifier.verify(token);
  } catch (err) {
    if (err instanceof AuthError) return { refused: `approval token refused: ${err.message}` };
    throw err;
  }
  const { claims, subject } = principal;
  const claim = (name: string) => (typeof claims[name] === 'string' ? claims[name] : '(none)');
  if (!principal.scopes.has(APPROVE_CAPABILITY)) {
    return {
      subject,
      refused: `approval token of ${subject} lacks the capability "${APPROVE_CAPABILITY}" in its scope`,
    };
  }
  if (claims.tenant !== input.tenant) {
    return {
      subject,
      refused: `approval token of ${subject} is for tenant "${claim('tenant')}", not this run's tenant "${input.tenant}"`,
    };
  }
  if (claims.approval !== input.approvalId) {
    return {
      subject,
      refused: `approval token of ${subject} decides "${claim('approval')}", not ${input.kind} "${input.approvalId}" (its "approval" claim must name it)`,
    };
  }
  const decision = input.approved ? 'approve' : 'reject';
  if (claims.decision !== undefined && claims.decision !== decision) {
    return {
      subject,
      refused: `approval token of ${subject} allows "${claim('decision')}", not "${decision}"`,
    };
  }
  return { subject, exp: claims.exp! };
}

export function createVerifyApprovalActivities({ mode, verifier, pool, audit }: VerifyApprovalDeps) {
  /** Records the token's use; false when it was already spent on another decision. */
  async function spend(input: VerifyApprovalInput, token: string, subject: string, exp: number) {
    const digest = createHash('sha256').update(token).digest('base64url');
    const inserted = await pool.query(
      `INSERT INTO approval_token_uses (token_digest, approval_id, workflow_id, run_id, tenant, subject, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, to_timestamp($7)) ON CONFLICT (token_digest) DO NOTHING`,
      [digest, input.approvalId, input.workflowId, input.runId, input.tenant, subject, exp],
    );
    if (inserted.rowCount === 1) return null;
    const { rows } = await pool.query<{ approval_id: string; workflow_id: string; run_id: string }>(
      'SELECT approval_id, workflow_id, run_id FROM approval_token_uses WHERE token_digest = $1',
      [digest],
    );
    const used = rows[0];
    // The same use verified again (a retried activity) is not a replay.
    if (
      used &&
      used.approval_id === input.approvalId &&
      used.workflow_id === input.workflowId &&
      used.run_id === input.runId
    ) {
      return null;
    }
    return `approval token of ${subject} was already used${used ? ` for "${used.approval_id}" of run ${used.workflow_id}` : ''}: a token decides once`;
  }

  async function decide(input: VerifyApprovalInput): Promise<ApprovalVerdict> {
    if (input.token === undefined) {
      if (mode === 'strict') {
        return {
          ok: false,
          reason:
            `an unsigned ${input.kind} is refused: send the approver's signed token with it ` +
            `(scope "${APPROVE_CAPABILITY}", tenant, "approval": "${input.approvalId}"), e.g. ` +
            (input.kind === 'review'
              ? '`somagent capsule review <run> <step> --token-file <jws>`'
              : `\`somagent approve <run> ${input.approvalId} --token-file <jws>\``),
        };
      }
      return { ok: true, subject: input.by ?? 'anonymous', verified: false };
    }
    const check = await checkToken(verifier, input, input.token);
    if ('refused' in check) return { ok: false, reason: check.refused };
    const replayed = await spend(input, input.token, check.subject, check.exp);
    if (replayed) return { ok: false, reason: replayed };
    return { ok: true, subject: check.subject, verified: true };
  }

  return {
    verifyApproval: async (raw: VerifyApprovalInput): Promise<ApprovalVerdict> => {
      const input: VerifyApprovalInput = parseInput(inputSchema, raw, 'verifyApproval');
      const verdict = await decide(input);
      await audit({
        type: verdict.ok ? `${input.kind}.verified` : `${input.kind}.refused`,
        tenant: input.tenant,
        workflowId: input.workflowId,
        factKey: `${input.workflowId}\n${input.runId}\n${input.approvalId}\n${createHash('sha256')
          .update(input.token ?? input.by ?? '')
          .digest('base64url')}\n${String(input.approved)}`,
        data: {
          approvalId: input.approvalId,
          runId: input.runId,
          approved: input.approved,
          mode,
          ...(verdict.ok
            ? { subject: verdict.subject, verified: verdict.verified }
            : { reason: verdict.reason }),
          ...(!verdict.ok || !verdict.verified
            ? input.by !== undefined
              ? { claimedBy: input.by }
              : {}
            : {}),
        },
      });
      return verdict;
    },
  };
}

export type VerifyApprovalActivities = ReturnType<typeof createVerifyApprovalActivities>;
