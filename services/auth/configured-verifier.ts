import { createPublicKey } from 'node:crypto';
import { JwksConfigError } from './errors';
import { loadJwks } from './jwks';
import { createJwtVerifier, type JwtVerifier, type VerificationKeys } from './jwt-verifier';

/**
 * The keys service tokens are checked with: AUTH_PUBLIC_KEY (one PEM key), else AUTH_JWKS
 * (inline JSON, a file, or an https:// JWKS URL), else `fallback` (outside production: the local
 * development key set).
 * @throws {JwksConfigError} when none is configured.
 */
export function verificationKeysFromEnv(
  env: { AUTH_JWKS?: string | undefined; AUTH_PUBLIC_KEY?: string | undefined },
  fallback?: VerificationKeys,
): VerificationKeys {
  if (env.AUTH_PUBLIC_KEY) return { key: createPublicKey(env.AUTH_PUBLIC_KEY) };
  if (env.AUTH_JWKS && /^https?:\/\//.test(env.AUTH_JWKS)) return { url: new URL(env.AUTH_JWKS) };
  if (env.AUTH_JWKS) return loadJwks(env.AUTH_JWKS);
  if (fallback) return fallback;
  throw new JwksConfigError(
    'no keys to verify tokens with: set AUTH_JWKS (JWKS JSON, a file or an https URL) or AUTH_PUBLIC_KEY (PEM)',
  );
}

/** A verifier of service tokens (gateway, event webhook) from AUTH_* settings. */
export function createConfiguredVerifier(
  config: {
    AUTH_JWKS?: string | undefined;
    AUTH_PUBLIC_KEY?: string | undefined;
    AUTH_ISSUER: string;
    AUTH_AUDIENCE: string;
  },
  fallback?: VerificationKeys,
): JwtVerifier {
  return createJwtVerifier({
    jwks: verificationKeysFromEnv(config, fallback),
    issuer: config.AUTH_ISSUER,
    audience: config.AUTH_AUDIENCE,
    // Services take many calls per token: check each signature once per 30 s.
    cacheMs: 30_000,
  });
}
