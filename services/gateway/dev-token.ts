import os from 'node:os';
import { devKeySigner } from '../constitution/dev-key-token';
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
  const sign = await devKeySigner(dataDir).catch((err: unknown) => {
    throw new Error(
      `no GATEWAY_TOKEN set and ${err instanceof Error ? err.message : String(err)}; ` +
        'or set GATEWAY_TOKEN to a token your identity provider issued',
      { cause: err },
    );
  });
  return sign(
    { tenant, scope: Object.values(CAPABILITIES).join(' ') },
    { issuer, audience, subject, ttlSeconds },
  );
}
