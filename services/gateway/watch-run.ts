import { setTimeout as sleep } from 'node:timers/promises';
import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import type { Pool } from 'pg';
import type { GateDecisionData } from '../../workers/gate/record-decision';
import { eventsQuery } from '../../workflows/shared/definitions';
import { initialStatus, reduceStatus, type RunEvent, type RunStatus } from '../../workflows/status';
import { closedRunOutcome, runStatusOf } from './run-view';
import { toProtoValue, toTimestamp } from './struct';
import { encodeCursor, type WatchCursor } from './watch-cursor';

/** One message of the `WatchCapsuleRun` stream (the `event` oneof is the one key set). */
export type WatchMessage = { cursor: string; time: ReturnType<typeof toTimestamp> } & Record<string, unknown>;

export interface WatchRunOptions {
  client: Client;
  pool: Pool;
  workflowId: string;
  runId: string;
  from: WatchCursor;
  signal: AbortSignal;
  /** Pause between polls of the run. @default 250 ms */
  pollMs?: number;
}

/**
 * A gate decision younger than this is not sent yet: outbox sequence numbers are taken before
 * commit, so a younger, lower number may still appear. Once the run has closed every decision
 * of it is committed and the rest is sent at once.
 */
const DECISION_SETTLE_MS = 1000;
/** How long one read of the run's event log may take. */
const QUERY_DEADLINE_MS = 5000;
/** How often a running run's Temporal status is read, to notice a termination. */
const DESCRIBE_EVERY_MS = 2000;

/**
 * Follows a capsule run: its event log (`events` query) becomes step, phase, approval and usage
 * messages, the gate's audited decisions (the outbox, with contributions) become decision
 * messages, and the stream ends with the result once the run has closed. Every message carries
 * the cursor after it, so a watcher that reconnects with it misses nothing and sees nothing twice.
 */
export async function* watchRun({
  client,
  pool,
  workflowId,
  runId,
  from,
  signal,
  pollMs = 250,
}: WatchRunOptions): AsyncGenerator<WatchMessage> {
  const handle = client.workflow.getHandle(workflowId, runId);
  const cursor: WatchCursor = { ...from };
  let state: RunStatus = initialStatus();
  let read = 0;
  /** The run's description once it has closed (what the last message reports). */
  let closedAs: WorkflowExecutionDescription | undefined;
  let lastDescribe = 0;
  const message = (time: string | Date, event: Record<string, unknown>): WatchMessage => ({
    cursor: encodeCursor(cursor),
    time: toTimestamp(time),
    ...event,
  });

  while (!signal.aborted) {
    if (!closedAs && (state.finishedAt !== null || Date.now() - lastDescribe >= DESCRIBE_EVERY_MS)) {
      lastDescribe = Date.now();
      const description = await handle.describe();
      if (description.status.name !== 'RUNNING') closedAs = description;
    }
    const closed = closedAs !== undefined;
    // A closed run's log is final; read it to the end before saying how it ended.
    for (let more = true; more;) {
      // A query racing the run's close can hang until the server's query timeout: bound it.
      // A watcher that hangs up stops waiting for it too.
      const view = await untilAborted(
        client.connection
          .withDeadline(Date.now() + QUERY_DEADLINE_MS, () =>
            handle.query(eventsQuery, { after: read, limit: 500 }),
          )
          .catch(() => undefined),
        signal,
      );
      if (signal.aborted) return;
      if (!view) break;
      for (const event of view.events) {
        const index = read++;
        state = reduceStatus(state, event);
        if (index < cursor.event) continue;
        cursor.event = index + 1;
        const body = eventBody(event, state);
        if (body) yield message(event.at, body);
      }
      more = view.from + view.events.length < view.total;
    }
    for (let more = true; more;) {
      const batch = await decisionsAfter(pool, workflowId, cursor.decision, closed);
      for (const decision of batch.decisions) {
        cursor.decision = decision.seq;
        yield message(decision.time, { gateDecision: decisionBody(decision.data) });
      }
      more = closed && batch.more;
    }
    if (closedAs) {
      const description = closedAs;
      const outcome = await closedRunOutcome(client, workflowId, runId);
      yield message(description.closeTime ?? new Date(), {
        finished: {
          status: runStatusOf(description.status.name),
          result: outcome.result,
          failure: outcome.failure,
        },
      });
      return;
    }
    await sleep(pollMs, undefined, { signal }).catch(() => undefined);
  }
}

/** The promise's value, or undefined as soon as the signal aborts. */
function untilAborted<T>(promise: Promise<T | undefined>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const onAbort = () => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    void promise.then((value) => {
      signal.removeEventListener('abort', onAbort);
      resolve(value);
    });
  });
}

function eventBody(event: RunEvent, state: RunStatus): Record<string, unknown> | undefined {
  switch (event.type) {
    case 'run.phase':
      return { phase: { phase: event.phase, capsuleVersion: state.capsule?.version ?? '' } };
    case 'plan.loaded':
      return { phase: { phase: 'planned', capsuleVersion: event.capsule.version } };
    case 'step.started':
      return { step: { stepId: event.stepId, state: 'running' } };
    case 'step.awaiting_review':
      return { step: { stepId: event.stepId, state: 'awaiting_review' } };
    case 'step.succeeded':
      return {
        step: {
          stepId: event.stepId,
          state: 'succeeded',
          ...(event.output !== undefined ? { output: toProtoValue(event.output) } : {}),
        },
      };
    case 'step.failed':
    case 'step.skipped':
      return {
        step: {
          stepId: event.stepId,
          state: event.type === 'step.failed' ? 'failed' : 'skipped',
          reason: event.reason,
        },
      };
    case 'usage':
      return { usage: { usage: usageMessage(state.usage) } };
    case 'approval.requested':
      return { approval: { state: 'requested', approval: approvalMessage(event.approval) } };
    case 'approval.resolved':
      return {
        approval: {
          state: event.approved ? 'approved' : 'rejected',
          approval: { approvalId: event.approvalId },
        },
      };
    case 'approval.withdrawn':
      return { approval: { state: 'withdrawn', approval: { approvalId: event.approvalId } } };
    default:
      // run.started, memory.loaded, persona.*, gate.decision (sent from the audit record), run.finished.
      return undefined;
  }
}

export function usageMessage(usage: RunStatus['usage']) {
  return {
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    totalTokens: usage.totalTokens,
    costUsd: usage.costUsd,
  };
}

export function approvalMessage(approval: RunStatus['pendingApprovals'][number]) {
  return {
    approvalId: approval.approvalId,
    workflowId: approval.workflowId,
    activityType: approval.activityType,
    reason: approval.reason,
    requestedAt: toTimestamp(approval.requestedAt),
  };
}

function decisionBody(data: GateDecisionData) {
  return {
    workflowId: data.workflowId,
    activityType: data.activityType,
    toolId: data.toolId ?? '',
    decision: data.decision,
    outcome: data.outcome,
    reason: data.reason,
    score: data.score ?? 0,
    threshold: data.threshold ?? 0,
    contributions: data.contributions.map((c) => ({
      feature: c.feature,
      phi: c.phi,
      weight: c.weight,
      product: c.product,
    })),
    rules: data.rulesFired.map((r) => r.id),
    constitutionHash: data.constitutionHash ?? '',
  };
}

/**
 * Gate decisions of the run and its children (`<root>` and `<root>.…` keys) after `seq`, in
 * order, up to the first one still settling.
 */
async function decisionsAfter(
  pool: Pool,
  workflowId: string,
  seq: number,
  closed: boolean,
): Promise<{ decisions: Array<{ seq: number; time: Date; data: GateDecisionData }>; more: boolean }> {
  const limit = 500;
  const prefix = `${workflowId.replace(/[\\%_]/g, (c) => `\\${c}`)}.%`;
  const { rows } = await pool.query<{
    seq: string;
    created_at: Date;
    settled: boolean;
    data: GateDecisionData;
  }>(
    `SELECT seq, created_at, created_at < now() - make_interval(secs => $4) AS settled, envelope->'data' AS data
       FROM outbox
      WHERE (key = $1 OR key LIKE $2) AND seq > $3 AND envelope->>'type' = 'gate.decision'
      ORDER BY seq LIMIT ${limit}`,
    [workflowId, prefix, seq, DECISION_SETTLE_MS / 1000],
  );
  const decisions = [];
  for (const row of rows) {
    if (!closed && !row.settled) return { decisions, more: false };
    decisions.push({ seq: Number(row.seq), time: row.created_at, data: row.data });
  }
  return { decisions, more: rows.length === limit };
}
