import { importJWK, SignJWT, type JWTPayload } from 'jose';
import { DEV_KEY_NAME } from './bootstrap';
import { defaultKeyDir, keyPaths, readKeyPair } from './key-files';

/** What a token signed with the local development key says besides its claims. */
export interface DevTokenOptions {
  issuer: string;
  audience: string;
  subject: string;
  ttlSeconds: number;
}

/** Signs tokens with this machine's development key, read once. */
export type DevKeySigner = (claims: JWTPayload, options: DevTokenOptions) => Promise<string>;

/**
 * A signer over the local development key `npm start` creates under the data dir outside
 * production (the stand-in identity provider of a local platform: its public half verifies
 * gateway, Temporal and approval tokens when no AUTH_* keys are set).
 * @throws naming the key file when it cannot be read (the platform never started here).
 */
export async function devKeySigner(dataDir: string): Promise<DevKeySigner> {
  const file = keyPaths(defaultKeyDir(dataDir), DEV_KEY_NAME).privateKey;
  const pair = await readKeyPair(file).catch((err: unknown) => {
    throw new Error(
      `no local development key at ${file} to sign a token with: start the platform here with \`npm start\``,
      {
        cause: err,
      },
    );
  });
  const key = await importJWK(pair.privateJwk, 'EdDSA');
  return (claims, { issuer, audience, subject, ttlSeconds }) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA', kid: pair.kid })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject(subject)
      .setIssuedAt()
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(key);
}
