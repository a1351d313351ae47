import os from 'node:os';
import { importJWK, SignJWT } from 'jose';
import { DEV_KEY_NAME } from '../constitution/bootstrap';
import { defaultKeyDir, keyPaths, readKeyPair } from '../constitution/key-files';
import { CAPABILITIES } from './caller';

/**
 * A short-lived token for this machine's own gateway, signed with the local development key
 * that `npm start` creates outside production (the gateway trusts it when AUTH_JWKS is unset).
 * It lets `somagent run` work against a local platform without an identity provider; anywhere
 * else the caller passes a real token in GATEWAY_TOKEN.
 */
export async function localDevToken({
  dataDir,
  issuer,
  audience,
  tenant,
  subject = `${os.userInfo().username}@${os.hostname()}`,
  ttlSeconds = 15 * 60,
}: {
  dataDir: string;
  issuer: string;
  audience: string;
  tenant: string;
  subject?: string;
  ttlSeconds?: number;
}): Promise<string> {
  const file = keyPaths(defaultKeyDir(dataDir), DEV_KEY_NAME).privateKey;
  const pair = await readKeyPair(file).catch((err: unknown) => {
    throw new Error(
      `no GATEWAY_TOKEN set and no local development key at ${file} to sign one: ` +
        'set GATEWAY_TOKEN to a token your identity provider issued, or start the platform here with `npm start`',
      { cause: err },
    );
  });
  return new SignJWT({ tenant, scope: Object.values(CAPABILITIES).join(' ') })
    .setProtectedHeader({ alg: 'EdDSA', kid: pair.kid })
    .setIssuer(issuer)
    .setAudience(audience)
    .setSubject(subject)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(await importJWK(pair.privateJwk, 'EdDSA'));
}
