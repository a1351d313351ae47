import type { Pool } from 'pg';
import type { ActionDescriptor } from '../../constitution';
import { ENVELOPE_SCHEMA_VERSION, topicForType, type EventEnvelope } from '../../services/events';
import { createGroupCommitter } from '../../services/postgres';
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

/** Where the gate's decisions become durable: the outbox in Postgres, group committed. */
export interface DecisionLog {
  /**
   * Resolves once the decision is committed (the relay publishes it later to
   * `somagent.audit.v1`, keyed by workflow id); rejects when it could not be written.
   */
  record(data: GateDecisionData, options: { tenant: string; time?: Date }): Promise<EventEnvelope>;
}

/**
 * One statement for any number of decisions: the envelopes arrive as one JSON array, each
 * serialised once, and keep their order in `seq`. Named, so each connection plans it once.
 */
const APPEND_DECISIONS = {
  name: 'somagent-gate-append-decisions',
  text: `INSERT INTO outbox (id, topic, key, envelope)
         SELECT (e->>'id')::uuid, $2, e->>'subject', e
         FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(e, n)
         ORDER BY n
         ON CONFLICT (id) DO NOTHING`,
} as const;
const DECISION_TOPIC = topicForType(GATE_DECISION_EVENT);

export interface DecisionLogOptions {
  /** Largest number of decisions per commit. @default 1000 */
  maxBatch?: number;
  /** After each commit: how many decisions it carried, and its error if it failed. */
  onWrite?: (size: number, error?: unknown) => void;
}

/**
 * The decision log of one pool. Decisions of concurrent activities are group committed: every
 * decision waiting while a commit is in flight goes into the next one, a single INSERT and round
 * trip, so the gate's cost stays one commit per batch instead of one per activity. Idempotent
 * per attempt: the event id is deterministic and a second write of the same attempt (a worker
 * that crashed after recording, a replayed task) is a no-op.
 */
export function createDecisionLog(pool: Pool, { maxBatch, onWrite }: DecisionLogOptions = {}): DecisionLog {
  const committer = createGroupCommitter<string>({
    ...(maxBatch === undefined ? {} : { maxBatch }),
    ...(onWrite ? { onWrite } : {}),
    async write(envelopes) {
      await pool.query({ ...APPEND_DECISIONS, values: [`[${envelopes.join(',')}]`, DECISION_TOPIC] });
    },
  });
  return {
    async record(data, { tenant, time }) {
      // Built from typed parts (the data is the gate's own), so it is not validated again.
      const envelope: EventEnvelope = {
        schemaVersion: ENVELOPE_SCHEMA_VERSION,
        id: gateDecisionEventId(data),
        type: GATE_DECISION_EVENT,
        source: GATE_EVENT_SOURCE,
        time: (time ?? new Date()).toISOString(),
        tenant,
        subject: data.workflowId,
        data: data as unknown as Record<string, unknown>,
      };
      await committer.submit(JSON.stringify(envelope));
      return envelope;
    },
  };
}

const logsByPool = new WeakMap<Pool, DecisionLog>();

/** The shared decision log of `pool`: gates on one pool group commit together. */
export function decisionLogFor(pool: Pool): DecisionLog {
  let log = logsByPool.get(pool);
  if (!log) {
    log = createDecisionLog(pool);
    logsByPool.set(pool, log);
  }
  return log;
}

/**
 * Writes one decision to the outbox, before the gate lets the activity run or throws its
 * failure: no decision goes unaudited even when Kafka is down. See {@link createDecisionLog}.
 */
export function recordGateDecision(
  pool: Pool,
  data: GateDecisionData,
  options: { tenant: string; time?: Date },
): Promise<EventEnvelope> {
  return decisionLogFor(pool).record(data, options);
}
