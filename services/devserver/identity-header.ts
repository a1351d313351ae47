import { status } from '@grpc/grpc-js';
import type { Principal } from '../auth';
import {
  asRunIdentity,
  IDENTITY_CAPABILITIES,
  IDENTITY_HEADER,
  type RunIdentity,
} from '../../workflows/shared/identity';
import { DevServerError, InvalidArgumentError } from './errors';
import type { Msg } from './proto';

/**
 * The run identity header (contract in workflows/shared/identity.ts) in auth mode: on every call
 * that starts runs, a `somagent-identity` header must match the bearer token (subject, tenant,
 * capabilities within the token's scope), unless the token may assert identities (a trusted
 * service forwarding a caller it verified); an absent header is stamped from the token, so runs
 * started from the Web UI or a bare SDK client carry the verified caller too.
 */

const JSON_ENCODING = 'json/plain';

interface HeaderHolder {
  header?: { fields?: Record<string, Msg> };
}

/** The parts of a request that start runs and carry a header, with the field path for messages. */
function startTargets(method: string, request: Msg): { holder: HeaderHolder; path: string }[] {
  switch (method) {
    case 'StartWorkflowExecution':
    case 'SignalWithStartWorkflowExecution':
      return [{ holder: request, path: 'header' }];
    case 'ExecuteMultiOperation': {
      const operations = Array.isArray(request.operations) ? (request.operations as Msg[]) : [];
      return operations.flatMap((op, i) =>
        op.startWorkflow ? [{ holder: op.startWorkflow, path: `operations[${i}].startWorkflow.header` }] : [],
      );
    }
    case 'CreateSchedule':
    case 'UpdateSchedule': {
      const action = (request.schedule as { action?: { startWorkflow?: HeaderHolder } } | undefined)?.action;
      return action?.startWorkflow
        ? [{ holder: action.startWorkflow, path: 'schedule.action.startWorkflow.header' }]
        : [];
    }
    default:
      return [];
  }
}

/** The identity a token stands for: `sub`, the `tenant` claim, the `scope` capabilities. */
export function identityOfToken(principal: Principal): RunIdentity {
  const tenant = principal.claims.tenant;
  return {
    subject: principal.subject,
    ...(typeof tenant === 'string' && tenant ? { tenant } : {}),
    capabilities: [...principal.scopes],
  };
}

function decodeIdentity(payload: Msg, path: string): RunIdentity {
  const metadata = (payload.metadata ?? {}) as Record<string, Uint8Array>;
  const encoding = metadata.encoding ? Buffer.from(metadata.encoding).toString('utf8') : '';
  const malformed = (why: string) =>
    new InvalidArgumentError(
      `${path}.fields["${IDENTITY_HEADER}"] ${why}: expected a ${JSON_ENCODING} payload of {subject, tenant?, capabilities[]}`,
    );
  if (encoding !== JSON_ENCODING) throw malformed(`has encoding "${encoding}"`);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from((payload.data as Uint8Array | undefined) ?? []).toString('utf8'));
  } catch {
    throw malformed('is not JSON');
  }
  const identity = asRunIdentity(value);
  if (!identity) throw malformed('is not a run identity');
  return identity;
}

function checkAgainstToken(claimed: RunIdentity, token: RunIdentity, path: string, method: string): void {
  const field = `${path}.fields["${IDENTITY_HEADER}"]`;
  const refuse = (what: string) =>
    new DevServerError(
      status.PERMISSION_DENIED,
      `devserver: ${method}: ${field}.${what} does not match the bearer token ` +
        `(only a token with scope "${IDENTITY_CAPABILITIES.assert}" may start runs for another caller)`,
    );
  if (claimed.subject !== token.subject) throw refuse('subject');
  if (claimed.tenant !== token.tenant) throw refuse('tenant');
  const granted = new Set(token.capabilities);
  const extra = claimed.capabilities.filter((c) => !granted.has(c));
  if (extra.length > 0) {
    throw new DevServerError(
      status.PERMISSION_DENIED,
      `devserver: ${method}: ${field}.capabilities names ${extra.map((c) => `"${c}"`).join(', ')} ` +
        `which the bearer token's scope does not grant`,
    );
  }
}

/**
 * Checks or stamps the identity header of every run `request` starts (mutates the request).
 * @throws {DevServerError} PERMISSION_DENIED when a header claims more than the token;
 *   INVALID_ARGUMENT when it is not a run identity.
 */
export function enforceIdentityHeader(method: string, request: Msg, principal: Principal): void {
  const targets = startTargets(method, request);
  if (targets.length === 0) return;
  const token = identityOfToken(principal);
  const mayAssert = principal.scopes.has(IDENTITY_CAPABILITIES.assert);
  for (const { holder, path } of targets) {
    const existing = holder.header?.fields?.[IDENTITY_HEADER];
    if (existing) {
      const claimed = decodeIdentity(existing, path);
      if (!mayAssert) checkAgainstToken(claimed, token, path, method);
      continue;
    }
    holder.header = {
      ...holder.header,
      fields: {
        ...holder.header?.fields,
        [IDENTITY_HEADER]: {
          metadata: { encoding: Buffer.from(JSON_ENCODING) },
          data: Buffer.from(JSON.stringify(token)),
        },
      },
    };
  }
}
