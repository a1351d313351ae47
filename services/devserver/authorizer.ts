import { status, type Metadata } from '@grpc/grpc-js';
import { AuthError, createJwtVerifier, type Principal, type VerificationKeys } from '../auth';
import { mapClaims, reaches, REQUIRED_ROLE, SYSTEM_NAMESPACE } from './claim-mapper';
import { DevServerError } from './errors';
import { ALWAYS_ALLOWED, methodRule } from './method-access';
import type { Msg } from './proto';

/** Auth mode of the devserver: every WorkflowService / OperatorService call needs a JWT. */
export interface DevServerAuthOptions {
  /** Keys tokens are verified with: a JWKS, a JWKS URL or one static public key. */
  keys: VerificationKeys;
  /** Expected `iss`; omitted: not checked. */
  issuer?: string;
  /** Expected `aud`; omitted: not checked. */
  audience?: string;
}

/** Decides whether a call may run, like Temporal's default authorizer over its JWT claim mapper. */
export interface Authorizer {
  /**
   * Verifies the call's bearer token and checks the role the method needs.
   * @returns the verified caller, or undefined for the health-check APIs (no token needed).
   * @throws {DevServerError} UNAUTHENTICATED (no, malformed or untrusted token) or
   *   PERMISSION_DENIED (the token lacks the role).
   */
  authorize(
    service: string,
    method: string,
    metadata: Metadata,
    request: Msg,
  ): Promise<Principal | undefined>;
}

/** A verified token is remembered this long (never past its `exp`): workers call many times a second. */
const TOKEN_CACHE_MS = 30_000;

const TOKEN_HINT =
  'send metadata authorization: Bearer <JWT>; clients: set TEMPORAL_API_KEY or TEMPORAL_API_KEY_FILE';

function unauthenticated(message: string, cause?: unknown): DevServerError {
  return new DevServerError(status.UNAUTHENTICATED, message, [], { cause });
}

/** The bearer token of a call, or a refusal that says what to send (never echoing the value). */
function bearerToken(metadata: Metadata, method: string): string {
  const values = metadata.get('authorization');
  const header = values.length > 0 ? String(values[0]) : '';
  if (!header) throw unauthenticated(`devserver: ${method} requires a token: ${TOKEN_HINT}`);
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) {
    throw unauthenticated(
      `devserver: ${method}: the authorization metadata is not "Bearer <JWT>": ${TOKEN_HINT}`,
    );
  }
  return match[1]!;
}

/** Builds the authorizer over a verifier of the configured keys. */
export function createAuthorizer({ keys, issuer, audience }: DevServerAuthOptions): Authorizer {
  const verifier = createJwtVerifier({ jwks: keys, issuer, audience, cacheMs: TOKEN_CACHE_MS });
  return {
    async authorize(service, method, metadata, request) {
      if (ALWAYS_ALLOWED.has(`/${service}/${method}`)) return undefined;
      const token = bearerToken(metadata, method);
      let principal: Principal;
      try {
        principal = await verifier.verify(token);
      } catch (err) {
        if (err instanceof AuthError) throw unauthenticated(`devserver: ${method}: ${err.message}`, err);
        throw err;
      }
      const rule = methodRule(service, method);
      const role = REQUIRED_ROLE[rule.access];
      const roles = mapClaims(principal.claims);
      const namespace =
        rule.scope === 'namespace' && typeof request.namespace === 'string' ? request.namespace : '';
      const held = namespace ? roles.system | (roles.namespaces.get(namespace) ?? 0) : roles.system;
      if (reaches(held, role)) return principal;
      const needed = namespace
        ? `"${namespace}:${role}" or "${SYSTEM_NAMESPACE}:${role}"`
        : `"${SYSTEM_NAMESPACE}:${role}"`;
      throw new DevServerError(
        status.PERMISSION_DENIED,
        `devserver: ${method}${namespace ? ` on namespace "${namespace}"` : ''} needs role ${role}: ` +
          `the token of "${principal.subject}" must hold ${needed} (or a higher role) in its permissions claim`,
      );
    },
  };
}
