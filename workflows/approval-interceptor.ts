import { defaultPayloadConverter } from '@temporalio/common';
import type {
  ActivityInput,
  Next,
  WorkflowInterceptors,
  WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';

/**
 * Workflow outbound interceptor that attaches a granted approval to the one activity the workflow
 * re-schedules after a human's `approve` signal. The gate (`workers/gate/approval-header.ts`)
 * lets a review-band action run only when this header names its approval id. The header is part
 * of the scheduling command, so replays see the same approval. Sandbox-safe: module state is
 * per workflow execution.
 */

/** Must equal `GATE_APPROVAL_HEADER` in `workers/gate/approval-header.ts` (a unit test checks it). */
export const APPROVAL_HEADER = 'somagent-gate-approval';

export interface GrantedApproval {
  approvalId: string;
  approvedBy?: string;
}

let armed: { activityType: string; approval: GrantedApproval } | undefined;

/**
 * Runs `schedule` (which must schedule exactly one activity of `activityType` synchronously, as
 * calling a `proxyActivities` function does) with the approval header on that activity.
 */
export function withApproval<T>(activityType: string, approval: GrantedApproval, schedule: () => T): T {
  armed = { activityType, approval };
  try {
    return schedule();
  } finally {
    armed = undefined;
  }
}

/** Headers with the approval set; `approvedBy` only when known. */
export function approvalHeaders(
  headers: ActivityInput['headers'],
  approval: GrantedApproval,
): ActivityInput['headers'] {
  const value =
    approval.approvedBy === undefined
      ? { approvalId: approval.approvalId }
      : { approvalId: approval.approvalId, approvedBy: approval.approvedBy };
  return { ...headers, [APPROVAL_HEADER]: defaultPayloadConverter.toPayload(value) };
}

/** The workflow interceptors module entry: list this file in `interceptors.workflowModules`. */
export function interceptors(): WorkflowInterceptors {
  const outbound: WorkflowOutboundCallsInterceptor = {
    scheduleActivity(input: ActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>) {
      const current = armed;
      if (current === undefined || current.activityType !== input.activityType) return next(input);
      armed = undefined;
      return next({ ...input, headers: approvalHeaders(input.headers, current.approval) });
    },
  };
  return { outbound: [outbound] };
}
