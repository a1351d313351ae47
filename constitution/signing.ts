import {
  calculateJwkThumbprint,
  CompactSign,
  compactVerify,
  decodeProtectedHeader,
  errors,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
} from 'jose';
import { canonicalize } from './canonical';
import type { CompiledConstitution } from './compile';
import { ConstitutionSignatureError, ConstitutionValidationError } from './errors';
import type { ConstitutionDocument } from './schema';
import type { TrustStore } from './trust-store';
import { validateConstitution } from './validate';

/** `typ` of a signed constitution's protected header. */
export const CONSTITUTION_JWS_TYPE = 'somagent-constitution+jws';
/** Signature algorithm: Ed25519. */
export const SIGNING_ALG = 'EdDSA';
/** Signatures expire so that a leaked old version cannot be replayed forever. @default 1 year */
export const DEFAULT_SIGNATURE_LIFETIME_SECONDS = 365 * 24 * 3600;

/** An Ed25519 key pair as JWKs; `kid` is the RFC 7638 thumbprint. */
export interface SigningKeyPair {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

/** Generates a new Ed25519 signing key pair. Keep `privateJwk` secret; share `publicJwk`. */
export async function generateSigningKey(): Promise<SigningKeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALG, { crv: 'Ed25519', extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const privateJwk = await exportJWK(privateKey);
  return {
    kid,
    privateJwk: { ...privateJwk, kid, alg: SIGNING_ALG, use: 'sig' },
    publicJwk: { ...publicJwk, kid, alg: SIGNING_ALG, use: 'sig' },
  };
}

export interface SignOptions {
  /** Private Ed25519 JWK (with `kid`). */
  privateJwk: JWK;
  /** @default privateJwk.kid */
  kid?: string;
  /** Signing time (seconds are used). @default now */
  issuedAt?: Date;
  /** @default DEFAULT_SIGNATURE_LIFETIME_SECONDS */
  lifetimeSeconds?: number;
}

/**
 * Signs a constitution: a compact EdDSA JWS whose payload is the document's canonical JSON and
 * whose protected header carries `kid`, `iat` and `exp` (marked critical, so a verifier that
 * ignores expiry cannot accept it). The document is validated first: nobody signs a broken one.
 */
export async function signConstitution(
  document: ConstitutionDocument,
  options: SignOptions,
): Promise<string> {
  validateConstitution(document);
  const kid = options.kid ?? options.privateJwk.kid;
  if (!kid) throw new ConstitutionSignatureError('malformed', 'signing key has no kid; pass options.kid');
  const key = await importJWK(options.privateJwk, SIGNING_ALG);
  const iat = Math.floor((options.issuedAt ?? new Date()).getTime() / 1000);
  const exp = iat + (options.lifetimeSeconds ?? DEFAULT_SIGNATURE_LIFETIME_SECONDS);
  return new CompactSign(new TextEncoder().encode(canonicalize(document)))
    .setProtectedHeader({ alg: SIGNING_ALG, typ: CONSTITUTION_JWS_TYPE, kid, iat, exp, crit: ['exp'] })
    .sign(key, { crit: { exp: true } });
}

export interface VerifyOptions {
  /** Version currently in force; anything ≤ it is a rollback. */
  currentVersion?: number;
  /** Clock for expiry checks. @default now */
  now?: Date;
  /** Allowed clock skew for `iat`. @default 60 s */
  clockToleranceSeconds?: number;
  /**
   * Skip the expiry check. Only for re-loading a version that was already accepted when it was
   * published (hot reload from the store or the `constitution.updated` event), so that the
   * version in force does not stop working the day its signature expires. Never for publishing.
   * @default false
   */
  acceptExpired?: boolean;
}

/** A constitution whose signature, expiry, version and content all check out. */
export interface VerifiedConstitution {
  document: ConstitutionDocument;
  compiled: CompiledConstitution;
  /** The canonical JSON that was signed. */
  canonical: string;
  hash: string;
  kid: string;
  issuedAt: Date;
  expiresAt: Date;
}

/**
 * Verifies a signed constitution against the trust store and validates its content.
 *
 * @throws {ConstitutionSignatureError} with `problem` = `unknown_key` (kid not trusted),
 *   `bad_signature` (tampered or wrong key), `expired`, `not_yet_valid`, `rollback`
 *   (version ≤ current), `malformed` or `invalid_document` (cause: the validation error).
 */
export async function verifyConstitution(
  jws: string,
  trustStore: TrustStore,
  options: VerifyOptions = {},
): Promise<VerifiedConstitution> {
  const nowSeconds = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const tolerance = options.clockToleranceSeconds ?? 60;
  let header;
  try {
    header = decodeProtectedHeader(jws.trim());
  } catch (err) {
    throw new ConstitutionSignatureError('malformed', 'not a compact JWS', { cause: err });
  }
  if (header.typ !== CONSTITUTION_JWS_TYPE) {
    throw new ConstitutionSignatureError(
      'malformed',
      `JWS typ must be "${CONSTITUTION_JWS_TYPE}", got "${String(header.typ)}"`,
    );
  }
  if (typeof header.kid !== 'string' || !trustStore.kids.includes(header.kid)) {
    throw new ConstitutionSignatureError(
      'unknown_key',
      `signing key "${String(header.kid)}" is not in the trust store`,
    );
  }

  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(jws.trim(), trustStore.resolve, {
      algorithms: [SIGNING_ALG, 'Ed25519'],
      crit: { exp: true },
    }));
  } catch (err) {
    if (err instanceof errors.JWSSignatureVerificationFailed) {
      throw new ConstitutionSignatureError('bad_signature', 'signature does not match the document', {
        cause: err,
      });
    }
    if (err instanceof errors.JWKSNoMatchingKey) {
      throw new ConstitutionSignatureError('unknown_key', `no trusted key matches kid "${header.kid}"`, {
        cause: err,
      });
    }
    throw new ConstitutionSignatureError('malformed', 'JWS could not be verified', { cause: err });
  }

  const exp = header.exp;
  const iat = header.iat;
  if (typeof exp !== 'number' || typeof iat !== 'number') {
    throw new ConstitutionSignatureError('malformed', 'protected header must carry numeric iat and exp');
  }
  if (nowSeconds >= exp && !options.acceptExpired) {
    throw new ConstitutionSignatureError(
      'expired',
      `signature expired at ${new Date(exp * 1000).toISOString()}`,
    );
  }
  if (iat > nowSeconds + tolerance) {
    throw new ConstitutionSignatureError(
      'not_yet_valid',
      `signature issued in the future (${new Date(iat * 1000).toISOString()})`,
    );
  }

  const canonical = new TextDecoder().decode(payload);
  let compiled: CompiledConstitution;
  try {
    compiled = validateConstitution(JSON.parse(canonical));
  } catch (err) {
    if (err instanceof ConstitutionValidationError || err instanceof SyntaxError) {
      throw new ConstitutionSignatureError('invalid_document', `signed document is invalid: ${err.message}`, {
        cause: err,
      });
    }
    throw err;
  }
  if (canonicalize(compiled.document) !== canonical) {
    throw new ConstitutionSignatureError('malformed', 'signed payload is not in canonical form');
  }
  if (options.currentVersion !== undefined && compiled.version <= options.currentVersion) {
    throw new ConstitutionSignatureError(
      'rollback',
      `version ${compiled.version} does not exceed the current version ${options.currentVersion}`,
    );
  }
  return {
    document: compiled.document,
    compiled,
    canonical,
    hash: compiled.hash,
    kid: header.kid,
    issuedAt: new Date(iat * 1000),
    expiresAt: new Date(exp * 1000),
  };
}
