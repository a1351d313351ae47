import { type Metadata, status } from '@grpc/grpc-js';
import { AuthError, type JwtVerifier } from '../auth';
import { GatewayError } from './gateway-error';

/** What a token may grant at the gateway. */
export const CAPABILITIES = {
  run: 'capsule:run',
  approve: 'capsule:approve',
  read: 'capsule:read',
} as const;
export type Capability = (typeof CAPABILITIES)[keyof typeof CAPABILITIES];

/** Who calls: the token's subject, its one tenant, its capabilities. */
export interface Caller {
  subject: string;
  tenant: string;
  capabilities: ReadonlySet<string>;
  /** The bearer token itself: forwarded as approval proof only when it names that approval. */
  token: string;
  /** The token's `approval` claim: the one approval or review it decides, if it is such a token. */
  approval?: string;
}

const TENANT = /^[a-z0-9][a-z0-9._-]{0,62}$/i;

/**
 * Authenticates a call from its `authorization` metadata and checks one capability. The token
 * must carry a `tenant` claim: every run the caller starts, sees or steers is that tenant's.
 * @throws {GatewayError} UNAUTHENTICATED (no, bad, expired, forged token; no tenant) or
 * PERMISSION_DENIED (capability missing), with a message naming what is wrong.
 */
export async function authenticate(
  verifier: JwtVerifier,
  metadata: Metadata,
  capability: Capability,
): Promise<Caller> {
  const header = metadata.get('authorization')[0];
  try {
    const principal = await verifier.authorize(typeof header === 'string' ? header : undefined, [capability]);
    const tenant = principal.claims.tenant;
    if (typeof tenant !== 'string' || !TENANT.test(tenant)) {
      throw new GatewayError(
        status.UNAUTHENTICATED,
        'token claim "tenant" is missing or invalid: expected the tenant id the caller acts for, e.g. "acme"',
      );
    }
    const approval = principal.claims.approval;
    return {
      subject: principal.subject,
      tenant,
      capabilities: principal.scopes,
      token: (header as string).replace(/^Bearer\s+/i, '').trim(),
      ...(typeof approval === 'string' ? { approval } : {}),
    };
  } catch (err) {
    if (!(err instanceof AuthError)) throw err;
    throw new GatewayError(
      err.status === 403 ? status.PERMISSION_DENIED : status.UNAUTHENTICATED,
      err.status === 403
        ? `token lacks the capability "${capability}" (its scope claim must include it)`
        : `${err.message} (send metadata "authorization: Bearer <JWT>")`,
    );
  }
}
