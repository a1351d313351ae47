import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { ApprovalDecision, PendingApproval } from '../approvals';
import type { ContextMessage } from '../context-window';
import type { RunEvent, RunStatus } from '../status';
import type { JsonValue, Usage } from './types';

/**
 * Signal and query definitions of `capsuleWorkflow` and `personaWorkflow`. Clients (CLI, gateway,
 * Web UI users) and workflows import the same constants. Every signal takes one object argument.
 */

/** `approve`: decide a pending approval by id; on a capsule run it reaches the waiting persona. */
export type ApproveSignal = ApprovalDecision;
export const approveSignal = defineSignal<[ApproveSignal]>('approve');

/** `review`: a reviewer's verdict on a step's review checkpoint. */
export interface ReviewSignal {
  stepId: string;
  verdict: 'approve' | 'reject';
  by?: string;
  comment?: string;
  /** The reviewer's signed token; its `approval` claim names `<workflowId>:review:<stepId>`. */
  token?: string;
}
export const reviewSignal = defineSignal<[ReviewSignal]>('review');

/** `cancel`: stop the run (running children are cancelled, pending steps skipped). */
export interface CancelSignal {
  reason?: string;
  by?: string;
}
export const cancelSignal = defineSignal<[CancelSignal]>('cancel');

/** `inject`: human guidance added to a persona's context before its next model call. */
export interface InjectSignal {
  text: string;
  by?: string;
}
export const injectSignal = defineSignal<[InjectSignal]>('inject');

/**
 * Internal: a persona (at any depth) tells the root capsule run that it waits for an approval,
 * so the run's `status` lists it and its `approve` signal can be routed.
 */
export const approvalRequestedSignal = defineSignal<[PendingApproval]>('somagent.approvalRequested');

/** Internal: a persona's approval was settled or withdrawn (timeout, child ended). */
export const approvalSettledSignal = defineSignal<
  [
    {
      approvalId: string;
      approved: boolean | null;
      by?: string;
      verified?: boolean;
      /** A decision was refused (its proof did not hold): the approval is still pending. */
      refused?: string;
    },
  ]
>('somagent.approvalSettled');

/** Internal: a persona reports its own cumulative usage to the root run (descendants excluded). */
export const usageReportSignal =
  defineSignal<[{ workflowId: string; stepId: string; own: Usage }]>('somagent.usageReport');

/** `status`: steps, personas, tokens, spend, pending approvals. */
export const statusQuery = defineQuery<RunStatus>('status');

/** What `events` returns: a slice of the run's event log and the log's length. */
export interface RunEventsView {
  events: RunEvent[];
  /** Index of the first event in `events`. */
  from: number;
  total: number;
}

/**
 * `events`: the run's event log from index `after` (0: from the start), at most `limit` events.
 * The log only grows, so an index is a cursor a watcher resumes from.
 */
export const eventsQuery = defineQuery<RunEventsView, [{ after?: number; limit?: number }?]>('events');

/** `plan`: the compiled plan the run executes; null until it is loaded. */
export const planQuery = defineQuery<{ [key: string]: JsonValue } | null>('plan');

/** What `transcript` returns. */
export interface TranscriptView {
  workflowId: string;
  /** Turns run so far, across continue-as-new. */
  turns: number;
  /** Summary of compacted history ('' when nothing was compacted). */
  summary: string;
  /** The current context, oldest first. */
  messages: ContextMessage[];
  pendingApprovals: PendingApproval[];
}

/** `transcript`: a persona's current context and summary. */
export const transcriptQuery = defineQuery<TranscriptView>('transcript');
