import type { Pool } from 'pg';
import { appendToOutbox } from '../../services/events';
import { uuidV5 } from '../../workers/gate/deterministic-id';

/** Namespace of identity event ids (fixed random UUID; changing it re-keys every id). */
const IDENTITY_EVENT_NAMESPACE = '8d2b6f0e-41c7-4a9e-b3d5-7e1f0c9a2b84';
const SOURCE = 'somagent/worker';

/** An identity fact about a run: who started it, who approved what, what was refused. */
export interface IdentityEvent {
  /** `run.authorized`, `run.refused`, `approval.verified`, `approval.refused`, ... */
  type: string;
  tenant: string;
  /** Workflow id the event is about (the Kafka key). */
  workflowId: string;
  /** Names the fact uniquely, so a retried activity writes it once. */
  factKey: string;
  data: Record<string, unknown>;
}

/** Writes identity events to the outbox (audit topic), idempotently per fact. */
export type IdentityAudit = (event: IdentityEvent) => Promise<void>;

export function createIdentityAudit(pool: Pool): IdentityAudit {
  return async ({ type, tenant, workflowId, factKey, data }) => {
    const client = await pool.connect();
    try {
      await appendToOutbox(
        client,
        {
          id: uuidV5(`${type}\n${factKey}`, IDENTITY_EVENT_NAMESPACE),
          type,
          source: SOURCE,
          tenant,
          subject: workflowId,
          data,
        },
        { onConflict: 'ignore' },
      );
    } finally {
      client.release();
    }
  };
}
