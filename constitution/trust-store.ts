import { createLocalJWKSet, type JSONWebKeySet, type JWK, type LocalJWKSet } from 'jose';
import { ConstitutionSignatureError } from './errors';

/** The public keys allowed to sign constitutions, by `kid`. */
export interface TrustStore {
  /** The JWKS as given (public keys only). */
  readonly jwks: JSONWebKeySet;
  /** jose key resolver: picks the key by the JWS header's `kid` and `alg`. */
  readonly resolve: LocalJWKSet;
  /** Key ids in the store. */
  readonly kids: readonly string[];
}

/** JWK members that only private keys carry. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'] as const;

/**
 * Builds a trust store from a JWKS. Every key needs a `kid` (signatures name their key) and must
 * be public: a private key in a trust store is a leaked secret, so it is refused rather than used.
 *
 * @throws {ConstitutionSignatureError} (`malformed`) naming the offending key.
 */
export function createTrustStore(jwks: JSONWebKeySet): TrustStore {
  if (!jwks || !Array.isArray(jwks.keys)) {
    throw new ConstitutionSignatureError('malformed', 'trust store: expected a JWKS object {"keys": [...]}');
  }
  const kids: string[] = [];
  jwks.keys.forEach((key: JWK, i) => {
    if (typeof key.kid !== 'string' || key.kid === '') {
      throw new ConstitutionSignatureError(
        'malformed',
        `trust store: keys.${i}.kid is missing; every key needs a kid`,
      );
    }
    const secret = PRIVATE_MEMBERS.find((m) => (key as Record<string, unknown>)[m] !== undefined);
    if (secret) {
      throw new ConstitutionSignatureError(
        'malformed',
        `trust store: keys.${i} (kid ${key.kid}) contains private member "${secret}"; publish only public keys`,
      );
    }
    kids.push(key.kid);
  });
  return { jwks, resolve: createLocalJWKSet(jwks), kids };
}
