import type { EventEnvelope } from '../events';
import { CapsuleRunRequestError, startCapsuleRun, type StartCapsuleRunDeps } from '../runs';
import type { JsonValue } from '../../workflows/shared/types';
import type { TriggerMatch, TriggerRef } from './matcher';

/** A run an event started (or had already started: a redelivery names the same run). */
export interface TriggeredRun extends TriggerRef {
  workflowId: string;
  runId: string;
}

/** A matched trigger whose run the start path refused; nothing was started for it. */
export interface FailedTrigger extends TriggerRef {
  /** `invalid_argument`, `not_found`, `already_exists` (from the start path) or `filter_error`. */
  code: string;
  /** Where the problem is, e.g. `params.issueNumber` or `triggers[0].filter`. */
  field: string;
  message: string;
}

/**
 * The request id of the run one trigger starts for one event. The start path maps it (with the
 * tenant) to one workflow id, so a redelivered event names the run the first delivery started.
 */
export function triggerRequestId(eventId: string, capsuleId: string, triggerIndex: number): string {
  return `event:${eventId}:${capsuleId}:${triggerIndex}`;
}

/**
 * Starts the run of each matched trigger through `startCapsuleRun`, pinned to the version that
 * matched, with `trigger: { kind: 'event', event: { type, id, data } }` and the event's tenant.
 * A start the platform refuses (params failing the capsule's schema) is reported per trigger and
 * the others still start; any other error (Temporal unreachable) is thrown so the caller retries,
 * which is safe because every start is idempotent by request id.
 */
export async function startTriggeredRuns(
  deps: StartCapsuleRunDeps,
  envelope: EventEnvelope,
  matches: readonly TriggerMatch[],
): Promise<{ started: TriggeredRun[]; failed: FailedTrigger[] }> {
  const started: TriggeredRun[] = [];
  const failed: FailedTrigger[] = [];
  for (const match of matches) {
    const ref = { capsule: match.capsule, triggerIndex: match.triggerIndex };
    try {
      const run = await startCapsuleRun(deps, {
        capsule: `${match.capsule.id}@${match.capsule.version}`,
        params: match.params,
        tenant: envelope.tenant,
        trigger: {
          kind: 'event',
          event: {
            type: envelope.type,
            id: envelope.id,
            data: envelope.data as { [key: string]: JsonValue },
          },
        },
        requestId: triggerRequestId(envelope.id, match.capsule.id, match.triggerIndex),
        // The run acts for the event's tenant, on behalf of the component that published it.
        caller: {
          subject: `event:${envelope.source}`,
          tenant: envelope.tenant,
          capabilities: ['capsule:run'],
        },
      });
      started.push({ ...ref, workflowId: run.workflowId, runId: run.runId });
    } catch (err) {
      if (!(err instanceof CapsuleRunRequestError)) throw err;
      // The start path prefixes "id@version: "; the trigger ref already says which capsule.
      const prefix = `${match.capsule.id}@${match.capsule.version}: `;
      const message = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
      failed.push({ ...ref, code: err.code, field: err.field, message });
    }
  }
  return { started, failed };
}
