import { status } from '@grpc/grpc-js';
import type { ApprovalVerdict } from '../runs/approval-verdict';
import type { Caller } from './caller';
import { GatewayError } from './gateway-error';

/**
 * Approvals through the gateway carry the approver's own proof: the gateway mints nothing. The
 * token is the request's `approval_token`, or the call's bearer token when that token names this
 * very approval (a general access token never travels into a run's history).
 */
export function approvalProof(caller: Caller, explicit: string, approvalId: string): string | undefined {
  if (explicit) return explicit;
  return caller.approval === approvalId ? caller.token : undefined;
}

/**
 * Turns the run's verdict on a decision into the call's answer: the caller learns at once when
 * its proof was refused; a run that decides later (a busy worker) keeps the signal, not an error.
 * @throws {GatewayError} PERMISSION_DENIED with the run's reason when the proof did not hold.
 */
export function refusedAsError(verdict: ApprovalVerdict): void {
  if (verdict.outcome === 'refused') {
    throw new GatewayError(status.PERMISSION_DENIED, `the run refused the decision: ${verdict.reason}`, {
      'somagent-field': 'approval_token',
    });
  }
}
