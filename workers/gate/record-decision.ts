import type { Pool } from 'pg';
import type { ActionDescriptor } from '../../constitution';
import { appendToOutbox, type EventEnvelope } from '../../services/events';
import { uuidV5 } from './deterministic-id';
import type { GateExplanation } from './explanation';

/** Envelope type of gate decisions (cross-team contract). */
export const GATE_DECISION_EVENT = 'gate.decision';
/** Envelope source of events the worker's gate writes. */
export const GATE_EVENT_SOURCE = 'somagent/worker';
/** Envelope tenant when the gate could not tell the tenant (no or bad header). */
export const UNKNOWN_TENANT = 'unknown';

/** Which activity execution (attempt) a decision is about. */
export interface GateAttempt {
  workflowId: string;
  runId: string;
  activityId: string;
  activityType: string;
  attempt: number;
}

/**
 * The `gate.decision` event's data (common brief contract): the explanation, the full descriptor
 * x(a) for what-if (null when the gate failed closed before it could build one), and the attempt.
 */
export interface GateDecisionData extends GateExplanation, GateAttempt {
  descriptor: ActionDescriptor | null;
  /** Set for review-band decisions: the approval the workflow waits for (or that was granted). */
  approvalId?: string;
  /** Who approved, from the approval header, when the outcome is `approved`. */
  approvedBy?: string;
}

/**
 * Event id of the decision on one attempt: UUIDv5 of (workflow id, run id, activity id, attempt).
 * The run id is part of it because activity ids restart after continue-as-new.
 */
export function gateDecisionEventId(attempt: GateAttempt): string {
  return uuidV5(
    `gate.decision\n${attempt.workflowId}\n${attempt.runId}\n${attempt.activityId}\n${attempt.attempt}`,
  );
}

/**
 * Writes the decision to the outbox in Postgres, before the gate lets the activity run or throws
 * its failure: no decision goes unaudited even when Kafka is down (the relay publishes it later
 * to `somagent.audit.v1`, keyed by workflow id). Idempotent per attempt: the event id is
 * deterministic and a second write of the same attempt (a worker that crashed after recording,
 * a replayed task) is a no-op.
 */
export async function recordGateDecision(
  pool: Pool,
  data: GateDecisionData,
  { tenant, time }: { tenant: string; time?: Date },
): Promise<EventEnvelope> {
  const client = await pool.connect();
  try {
    return await appendToOutbox(
      client,
      {
        id: gateDecisionEventId(data),
        type: GATE_DECISION_EVENT,
        source: GATE_EVENT_SOURCE,
        tenant,
        subject: data.workflowId,
        time: (time ?? new Date()).toISOString(),
        data: data as unknown as Record<string, unknown>,
      },
      { onConflict: 'ignore' },
    );
  } finally {
    client.release();
  }
}
