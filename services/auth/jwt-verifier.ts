import type { KeyObject } from 'node:crypto';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  type JSONWebKeySet,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { AuthError } from './errors';

/** Who is calling and what they may do. */
export interface Principal {
  /** `sub` of the token. */
  subject: string;
  /** Capabilities from the space-separated `scope` claim. */
  scopes: ReadonlySet<string>;
  claims: JWTPayload;
}

/**
 * Where verification keys come from: a key set held locally, a JWKS URL (fetched and cached by
 * jose, refetched on an unknown `kid`), or one static public key.
 */
export type VerificationKeys = JSONWebKeySet | { url: URL } | { key: KeyObject };

export interface JwtVerifierOptions {
  jwks: VerificationKeys;
  /** Expected `iss`; omitted: any issuer (the devserver's `auth.issuer` may be left out). */
  issuer?: string;
  /** Expected `aud`; omitted: any audience. */
  audience?: string;
  /** @default ['EdDSA', 'Ed25519', 'ES256'] */
  algorithms?: string[];
  /** Allowed clock skew. @default 30 s */
  clockToleranceSeconds?: number;
  /**
   * Remember a verified token this long (never past its `exp`), so a service taking many calls
   * with one token verifies its signature once. A key removed from the set stops being trusted
   * for remembered tokens after at most this long. @default 0 (off)
   */
  cacheMs?: number;
}

/** Tokens remembered at most (the oldest is forgotten first). */
const CACHE_ENTRIES = 10_000;

/** Verifies admin JWTs (cross-team contract: EdDSA/ES256, iss, aud, `scope` capabilities). */
export interface JwtVerifier {
  /**
   * Verifies a bearer token. @throws {AuthError} 401 for a missing, malformed, expired or
   * untrusted token.
   */
  verify(token: string | undefined): Promise<Principal>;
  /**
   * Verifies the `Authorization: Bearer ...` header and checks that the token grants one of
   * `anyOf` capabilities. @throws {AuthError} 401 (credentials) or 403 (capability missing).
   */
  authorize(authorizationHeader: string | undefined, anyOf: readonly string[]): Promise<Principal>;
}

/**
 * Builds a verifier over a local JWKS. Reusable by every service that takes admin tokens.
 */
export function createJwtVerifier({
  jwks,
  issuer,
  audience,
  algorithms = ['EdDSA', 'Ed25519', 'ES256'],
  clockToleranceSeconds = 30,
  cacheMs = 0,
}: JwtVerifierOptions): JwtVerifier {
  const keys = keyResolver(jwks);
  const remembered = new Map<string, { principal: Principal; until: number }>();

  async function verify(token: string | undefined): Promise<Principal> {
    if (!token) throw new AuthError(401, 'missing_token', 'a bearer token is required');
    if (cacheMs > 0) {
      const hit = remembered.get(token);
      if (hit && hit.until > Date.now()) return hit.principal;
      if (hit) remembered.delete(token);
    }
    const principal = await verifyUncached(token);
    if (cacheMs > 0) {
      const expires = (principal.claims.exp ?? 0) * 1000;
      remembered.set(token, { principal, until: Math.min(expires, Date.now() + cacheMs) });
      if (remembered.size > CACHE_ENTRIES) remembered.delete(remembered.keys().next().value!);
    }
    return principal;
  }

  async function verifyUncached(token: string): Promise<Principal> {
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer,
        audience,
        algorithms,
        clockTolerance: clockToleranceSeconds,
        requiredClaims: ['exp', 'sub'],
      });
      const scope = typeof payload.scope === 'string' ? payload.scope : '';
      return {
        subject: payload.sub!,
        scopes: new Set(scope.split(/\s+/).filter(Boolean)),
        claims: payload,
      };
    } catch (err) {
      if (err instanceof errors.JWTExpired)
        throw new AuthError(401, 'expired', 'token expired', { cause: err });
      if (err instanceof errors.JWTClaimValidationFailed) {
        throw new AuthError(401, 'invalid_claims', `token claim "${err.claim}" is invalid: ${err.reason}`, {
          cause: err,
        });
      }
      if (err instanceof errors.JWKSNoMatchingKey) {
        throw new AuthError(401, 'unknown_key', 'token is signed by an untrusted key', { cause: err });
      }
      if (err instanceof errors.JWSSignatureVerificationFailed) {
        throw new AuthError(401, 'bad_signature', 'token signature is invalid', { cause: err });
      }
      throw new AuthError(401, 'invalid_token', 'token is malformed or uses a disallowed algorithm', {
        cause: err,
      });
    }
  }

  return {
    verify,
    async authorize(header, anyOf) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
      if (!header) throw new AuthError(401, 'missing_token', 'send "Authorization: Bearer <token>"');
      if (!match) throw new AuthError(401, 'invalid_token', 'Authorization header must be "Bearer <token>"');
      const principal = await verify(match[1]);
      if (!anyOf.some((scope) => principal.scopes.has(scope))) {
        throw new AuthError(
          403,
          'insufficient_scope',
          `token lacks the capability: needs ${anyOf.join(' or ')} in scope`,
        );
      }
      return principal;
    },
  };
}

function keyResolver(source: VerificationKeys): JWTVerifyGetKey {
  if ('keys' in source) return createLocalJWKSet(source);
  if ('url' in source) return createRemoteJWKSet(source.url);
  const { key } = source;
  return () => key;
}
