import type { JsonValue } from './shared/types';

/**
 * Pending human approvals of a run, at any depth. A persona that waits (gate review band,
 * `requireApprovalFor`, a forecast above the approval limit) registers its approval here and
 * reports it up to the root capsule run; an `approve` signal on the root is then routed to the
 * workflow that waits. The `status` query lists what is pending. Pure; sandbox-safe.
 */

/** One approval somebody is waiting for. */
export interface PendingApproval {
  approvalId: string;
  /** Workflow id of the persona (or capsule run) that waits. */
  workflowId: string;
  stepId?: string;
  personaId?: string;
  /** Activity that needs the approval, e.g. `executeTool`. */
  activityType: string;
  /** Tool id when the activity is a tool call. */
  toolId?: string;
  /** Why approval is needed, for the human. */
  reason: string;
  /** The gate's explanation (score, threshold, contributions, rules fired). */
  explanation?: JsonValue;
  /** ISO-8601 from workflow time. */
  requestedAt: string;
}

/** The human's answer (the `approve` signal's argument). */
export interface ApprovalDecision {
  approvalId: string;
  approved: boolean;
  /** Who decided, as the sender says; replaced by the token's verified subject when applied. */
  by?: string;
  comment?: string;
  /**
   * The approver's signed token (JWS: scope `capsule:approve`, `tenant`, `approval` = this id,
   * `exp`, optionally `decision`); required in strict identity mode. Single use.
   */
  token?: string;
  /** Set by the workflow that verified the decision (never trusted from a signal). */
  verified?: boolean;
}

/** Where an `approve` signal must go. */
export type ApprovalRoute =
  | { kind: 'local'; approval: PendingApproval }
  | { kind: 'forward'; approval: PendingApproval; targetWorkflowId: string }
  | { kind: 'unknown'; reason: string };

export interface ApprovalRegistrySnapshot {
  pending: PendingApproval[];
  granted: number;
  rejected: number;
}

export class ApprovalRegistry {
  private readonly pending = new Map<string, PendingApproval>();
  private granted = 0;
  private rejected = 0;

  /** @param ownWorkflowId the workflow holding this registry: its own approvals resolve locally. */
  constructor(private readonly ownWorkflowId: string) {}

  static restore(ownWorkflowId: string, snapshot: ApprovalRegistrySnapshot): ApprovalRegistry {
    const registry = new ApprovalRegistry(ownWorkflowId);
    for (const approval of snapshot.pending) registry.pending.set(approval.approvalId, { ...approval });
    registry.granted = snapshot.granted;
    registry.rejected = snapshot.rejected;
    return registry;
  }

  /** Registers a pending approval; registering the same id again replaces it (redelivered report). */
  add(approval: PendingApproval): void {
    if (approval.approvalId.length === 0) throw new Error('approvalId must not be empty');
    this.pending.set(approval.approvalId, { ...approval });
  }

  /**
   * Settles a pending approval and says where the decision goes. Unknown or already settled ids
   * give `unknown` (signal handlers must not throw, and a doubled signal is harmless).
   */
  resolve(decision: ApprovalDecision): ApprovalRoute {
    const approval = this.pending.get(decision.approvalId);
    if (!approval) {
      return {
        kind: 'unknown',
        reason: `no pending approval "${decision.approvalId}" (unknown or already decided)`,
      };
    }
    this.pending.delete(decision.approvalId);
    if (decision.approved) this.granted += 1;
    else this.rejected += 1;
    return approval.workflowId === this.ownWorkflowId
      ? { kind: 'local', approval }
      : { kind: 'forward', approval, targetWorkflowId: approval.workflowId };
  }

  /** Drops an approval without a decision (the waiting child ended or timed out). */
  withdraw(approvalId: string): boolean {
    return this.pending.delete(approvalId);
  }

  /** Drops every approval of a workflow (it finished, failed or was cancelled). */
  withdrawWorkflow(workflowId: string): PendingApproval[] {
    const dropped = this.list().filter((a) => a.workflowId === workflowId);
    for (const approval of dropped) this.pending.delete(approval.approvalId);
    return dropped;
  }

  /** The pending approval with this id, if any (without settling it). */
  get(approvalId: string): PendingApproval | undefined {
    const approval = this.pending.get(approvalId);
    return approval ? { ...approval } : undefined;
  }

  has(approvalId: string): boolean {
    return this.pending.has(approvalId);
  }

  /** Pending approvals, oldest request first (ties by id) — for the `status` query. */
  list(): PendingApproval[] {
    return [...this.pending.values()]
      .sort((a, b) => cmp(a.requestedAt, b.requestedAt) || cmp(a.approvalId, b.approvalId))
      .map((a) => ({ ...a }));
  }

  /** Decisions taken so far. */
  counts(): { pending: number; granted: number; rejected: number } {
    return { pending: this.pending.size, granted: this.granted, rejected: this.rejected };
  }

  snapshot(): ApprovalRegistrySnapshot {
    return { pending: this.list(), granted: this.granted, rejected: this.rejected };
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
