import { ApplicationFailure } from '@temporalio/common';
import { WORKFLOW_ERROR_TYPES } from '../../workflows/shared/errors';
import { IDENTITY_CAPABILITIES, IDENTITY_HEADER, type RunIdentity } from '../../workflows/shared/identity';
import type { IdentityMode } from './identity-mode';

/** What the workflow read from its start header (workflows/identity-interceptor.ts). */
export type StartCaller =
  { kind: 'none' } | { kind: 'identity'; identity: RunIdentity } | { kind: 'malformed'; reason: string };

export interface RunStartRequest {
  caller: StartCaller;
  /** `tenant` as the workflow input gave it; absent when the input named none. */
  requestedTenant?: string;
  /** The capsule came as a document in the input, not as a registry reference. */
  inline: boolean;
}

/** Who the run acts for, once allowed. */
export interface AuthorizedStart {
  /** The verified subject; null for a local-mode run started without an identity. */
  subject: string | null;
  /** The tenant the caller may act for here (the caller's own, or the requested one for operators). */
  tenant: string | null;
}

function refuse(message: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: WORKFLOW_ERROR_TYPES.RunUnauthorized,
    message,
    nonRetryable: true,
  });
}

/**
 * Decides whether the caller of a root run may start it as requested. The tenant comes from the
 * caller, never from free input: input naming another tenant is refused, and a caller without a
 * tenant claim (a platform operator) needs `tenant:any` to name one. Inline capsules bypass the
 * registry's review and publishing, so they need `capsule:inline`.
 * @throws {ApplicationFailure} `RunUnauthorized`, non-retryable, naming what is wrong and the fix.
 */
export function authorizeRunStart(mode: IdentityMode, request: RunStartRequest): AuthorizedStart {
  const { caller, requestedTenant, inline } = request;
  if (caller.kind === 'malformed') throw refuse(`the run's caller identity is unreadable: ${caller.reason}`);
  if (caller.kind === 'none') {
    if (mode === 'strict') {
      throw refuse(
        `the run has no verified caller (no "${IDENTITY_HEADER}" header): start it through the gateway ` +
          '(`somagent run`) or from a client whose token the Temporal frontend verifies (TEMPORAL_AUTH=jwt)',
      );
    }
    return { subject: null, tenant: requestedTenant ?? null };
  }
  const { identity } = caller;
  const can = (capability: string) => identity.capabilities.includes(capability);
  if (identity.tenant !== undefined) {
    if (requestedTenant !== undefined && requestedTenant !== identity.tenant) {
      throw refuse(
        `input.tenant "${requestedTenant}" is not the caller's tenant: ${identity.subject} acts for ` +
          `tenant "${identity.tenant}"; leave tenant out (it comes from the caller) or use a token for "${requestedTenant}"`,
      );
    }
  } else if (requestedTenant !== undefined && !can(IDENTITY_CAPABILITIES.anyTenant)) {
    throw refuse(
      `${identity.subject} has no tenant claim and may not start runs for tenant "${requestedTenant}": ` +
        `use a token with a "tenant" claim, or grant "${IDENTITY_CAPABILITIES.anyTenant}" to platform operators`,
    );
  }
  if (inline && !can(IDENTITY_CAPABILITIES.inline)) {
    throw refuse(
      `input.capsule is an inline document and ${identity.subject} lacks the capability ` +
        `"${IDENTITY_CAPABILITIES.inline}": publish the capsule (\`somagent capsule publish\`) and start it ` +
        'by "id@version", or use a token whose scope includes capsule:inline',
    );
  }
  return { subject: identity.subject, tenant: identity.tenant ?? requestedTenant ?? null };
}
