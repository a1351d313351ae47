import { defaultPayloadConverter, type Headers, type Payload } from '@temporalio/common';
import { z } from 'zod';
import type { ActionDescriptor } from '../../constitution';
import { uuidV5 } from './deterministic-id';

/**
 * Header a workflow attaches when it re-schedules an activity after a human approved it
 * (`approve` signal for the `approvalId` an `ApprovalRequired` failure carried). The gate lets a
 * review-band action run only when the header names the approval id of exactly this action; it
 * never lifts a deny. Like the gate context, it is part of the scheduling command, so it is in
 * history and a replay sees the same approval.
 */
export const GATE_APPROVAL_HEADER = 'somagent-gate-approval';

/** The approval a re-scheduled activity carries. */
export interface GateApproval {
  approvalId: string;
  /** Who approved (for the audit record). */
  approvedBy?: string;
}

const approvalSchema = z.strictObject({
  approvalId: z.string().min(1),
  approvedBy: z.string().min(1).optional(),
});

/**
 * Approval id of an action: UUIDv5 of (workflow id, activity type, tool id, args digest). The
 * same action re-scheduled after the approval (new activity id, new attempt) has the same id; a
 * different action, or the same one with other arguments, does not.
 */
export function approvalIdFor(workflowId: string, descriptor: ActionDescriptor): string {
  return uuidV5(
    `gate.approval\n${workflowId}\n${descriptor.activityType}\n${descriptor.tool?.id ?? ''}\n${descriptor.args.digest}`,
  );
}

/** Returns headers with the approval set (other headers kept). */
export function withGateApproval(headers: Headers, approval: GateApproval): Headers {
  return { ...headers, [GATE_APPROVAL_HEADER]: defaultPayloadConverter.toPayload(approval) };
}

/**
 * Reads the approval header; undefined when absent or unreadable (an unreadable approval grants
 * nothing, so the action stays in review).
 */
export function readGateApproval(headers: Headers): GateApproval | undefined {
  const payload: Payload | undefined = headers[GATE_APPROVAL_HEADER];
  if (payload === undefined) return undefined;
  try {
    const parsed = approvalSchema.safeParse(defaultPayloadConverter.fromPayload(payload));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
