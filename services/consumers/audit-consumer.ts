import { z } from 'zod';
import { TOPICS, type EventEnvelope } from '../events';
import { EventRejectedError } from './errors';
import {
  createEventConsumer,
  type EventConsumer,
  type EventHandler,
  type StoreConsumerOptions,
} from './event-consumer';

/** Consumer group of the audit store; one group for all its instances. */
export const AUDIT_CONSUMER_GROUP = 'somagent.audit-store';

/** The gate's decision, the one part of `gate.decision` data the store indexes. */
const gateDecisionData = z.looseObject({
  decision: z.enum(['allow', 'review', 'deny'], { message: 'expected allow, review or deny' }),
});

/**
 * Stores every audit event in `audit_events` (idempotent on the event id). For `gate.decision`
 * events `decision` is copied from `data.decision`, which must be allow/review/deny.
 */
export const auditHandler: EventHandler = {
  validate(envelope) {
    if (envelope.type !== 'gate.decision') return;
    const parsed = gateDecisionData.safeParse(envelope.data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new EventRejectedError(`data.${issue.path.join('.')}: ${issue.message} (gate.decision event)`);
    }
  },
  async handle(client, envelope) {
    await client.query(
      `INSERT INTO audit_events (id, type, source, tenant, subject, time, decision, data)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (id) DO NOTHING`,
      [
        envelope.id,
        envelope.type,
        envelope.source,
        envelope.tenant,
        envelope.subject,
        envelope.time,
        decisionOf(envelope),
        JSON.stringify(envelope.data),
      ],
    );
  },
};

function decisionOf(envelope: EventEnvelope): string | null {
  return envelope.type === 'gate.decision' ? gateDecisionData.parse(envelope.data).decision : null;
}

/** `groupId` defaults to AUDIT_CONSUMER_GROUP. */
export type AuditConsumerOptions = StoreConsumerOptions;

/** The audit store's consumer of `somagent.audit.v1`. */
export function createAuditConsumer({
  groupId = AUDIT_CONSUMER_GROUP,
  ...options
}: AuditConsumerOptions): EventConsumer {
  return createEventConsumer({ ...options, groupId, topics: [TOPICS.audit], handler: auditHandler });
}
