import os from 'node:os';
import type { JWK } from 'jose';
import { verificationKeysFromEnv } from '../auth';
import {
  apiKeyFromConfig,
  changingApiKey,
  clientConnectionOptions,
  type Config,
  type TemporalApiKey,
} from '../config';
import { devKeySigner } from '../constitution/dev-key-token';
import type { DevServerAuthOptions } from '../devserver';
import { createLogger, type Logger } from '../logger';
import { IDENTITY_CAPABILITIES } from '../../workflows/shared/identity';
import { DependencyUnavailableError } from './embedded-service';

/**
 * Auth of the Temporal frontend `npm start` embeds (TEMPORAL_AUTH) and the token the platform's
 * own clients (worker, gateway, webhook, schedule sync) send to it.
 */

type AuthConfig = Pick<
  Config,
  | 'NODE_ENV'
  | 'TEMPORAL_AUTH'
  | 'TEMPORAL_NAMESPACE'
  | 'TEMPORAL_API_KEY'
  | 'TEMPORAL_API_KEY_FILE'
  | 'AUTH_JWKS'
  | 'AUTH_PUBLIC_KEY'
  | 'AUTH_ISSUER'
  | 'AUTH_AUDIENCE'
  | 'SOMAGENT_DATA_DIR'
>;

/** Lifetime of a minted local token, and how often a fresh one replaces it. */
const LOCAL_TOKEN_TTL_SECONDS = 15 * 60;
const LOCAL_TOKEN_RENEW_MS = 5 * 60_000; // well before expiry, also for a suspended laptop

/**
 * Capabilities of a local token: the gateway starts runs for the callers it verified
 * (`identity:assert`); the platform's own starts (sample run, schedules) act as a platform
 * operator, for any tenant (`tenant:any`).
 */
const LOCAL_TOKEN_SCOPE = [IDENTITY_CAPABILITIES.assert, IDENTITY_CAPABILITIES.anyTenant].join(' ');

/** Subject of the platform's own local tokens. */
export const LOCAL_TEMPORAL_SUBJECT = 'somagent-platform';

/** Where the embedded devserver's verification keys come from, for the printed mode line. */
function keysSource(config: AuthConfig): string {
  if (config.AUTH_PUBLIC_KEY) return 'AUTH_PUBLIC_KEY';
  if (config.AUTH_JWKS) return 'AUTH_JWKS';
  return 'the local development key';
}

/**
 * The devserver's auth options for TEMPORAL_AUTH=jwt (undefined for `off`): keys from
 * AUTH_PUBLIC_KEY / AUTH_JWKS, else — outside production — the local development key.
 * @throws {JwksConfigError} in production without AUTH_JWKS / AUTH_PUBLIC_KEY.
 */
export function embeddedTemporalAuth(
  config: AuthConfig,
  devPublicJwk: JWK | null,
): DevServerAuthOptions | undefined {
  if (config.TEMPORAL_AUTH === 'off') return undefined;
  const fallback = config.NODE_ENV !== 'production' && devPublicJwk ? { keys: [devPublicJwk] } : undefined;
  return {
    keys: verificationKeysFromEnv(config, fallback),
    issuer: config.AUTH_ISSUER,
    audience: config.AUTH_AUDIENCE,
  };
}

/**
 * A token for the platform's own clients (and, outside production, the CLI on the same machine),
 * signed with the local development key: admin on the namespace (the worker registers search
 * attributes), scope {@link LOCAL_TOKEN_SCOPE}. Renewed every few minutes; `close()` stops that.
 * @throws when the development key file cannot be read (the platform never started here).
 */
export async function localTemporalApiKey({
  dataDir,
  issuer,
  audience,
  namespace,
  subject = LOCAL_TEMPORAL_SUBJECT,
  logger,
}: {
  dataDir: string;
  issuer: string;
  audience: string;
  namespace: string;
  /** @default {@link LOCAL_TEMPORAL_SUBJECT} */
  subject?: string;
  logger: Logger;
}): Promise<TemporalApiKey> {
  const sign = await devKeySigner(dataDir);
  const mint = () =>
    sign(
      { permissions: [`${namespace}:admin`], scope: LOCAL_TOKEN_SCOPE },
      { issuer, audience, subject, ttlSeconds: LOCAL_TOKEN_TTL_SECONDS },
    );
  const renew = setInterval(() => {
    mint().then(
      (token) => apiKey.set(token),
      (err: unknown) => logger.error({ err }, 'renewing the local Temporal token failed'),
    );
  }, LOCAL_TOKEN_RENEW_MS);
  renew.unref();
  const apiKey = changingApiKey(await mint(), () => clearInterval(renew));
  return apiKey;
}

/**
 * The token the platform's clients send: TEMPORAL_API_KEY / TEMPORAL_API_KEY_FILE when set;
 * else, for a devserver it embedded with auth on, a minted local token (outside production, with
 * the development key as the devserver's keys); else none.
 * @throws {DependencyUnavailableError} when the embedded devserver requires tokens the platform
 *   cannot mint (its keys come from an identity provider) and none is configured.
 */
export async function platformTemporalApiKey({
  config,
  configured,
  embeddedAuth,
  logger,
}: {
  config: AuthConfig;
  configured: TemporalApiKey | undefined;
  /** The auth options of the devserver this start embedded, if it did and auth is on. */
  embeddedAuth: DevServerAuthOptions | undefined;
  logger: Logger;
}): Promise<TemporalApiKey | undefined> {
  if (configured || !embeddedAuth) return configured;
  if (config.NODE_ENV === 'production' || config.AUTH_JWKS || config.AUTH_PUBLIC_KEY) {
    throw new DependencyUnavailableError(
      `TEMPORAL_AUTH=jwt with keys from ${keysSource(config)}: set TEMPORAL_API_KEY or TEMPORAL_API_KEY_FILE ` +
        `to a token those keys verify, with permissions ["${config.TEMPORAL_NAMESPACE}:admin"] and scope ` +
        `"${LOCAL_TOKEN_SCOPE}", for the platform's own worker and gateway`,
    );
  }
  return localTemporalApiKey({
    dataDir: config.SOMAGENT_DATA_DIR,
    issuer: config.AUTH_ISSUER,
    audience: config.AUTH_AUDIENCE,
    namespace: config.TEMPORAL_NAMESPACE,
    logger,
  });
}

/** The one line `npm start` prints about Temporal auth. */
export function temporalAuthLine({
  config,
  address,
  embedded,
  minted,
}: {
  config: AuthConfig;
  address: string;
  /** Whether this start runs the devserver itself. */
  embedded: boolean;
  /** Whether the platform's clients use minted local tokens. */
  minted: boolean;
}): string {
  const clientToken = minted
    ? 'local tokens signed with the development key'
    : config.TEMPORAL_API_KEY
      ? 'TEMPORAL_API_KEY'
      : config.TEMPORAL_API_KEY_FILE
        ? 'TEMPORAL_API_KEY_FILE'
        : 'no token';
  if (!embedded)
    return `temporal auth: decided by the server at ${address} (the platform sends ${clientToken})`;
  if (config.TEMPORAL_AUTH === 'off') {
    return (
      `temporal auth: off (anyone who reaches ${address} may start, signal and approve; ` +
      'set TEMPORAL_AUTH=jwt to require tokens)'
    );
  }
  return `temporal auth: jwt (permissions claim, keys from ${keysSource(config)}; the platform sends ${clientToken})`;
}

/**
 * Connection options for a CLI command: the configured token; else, outside production against
 * a devserver in auth mode (TEMPORAL_AUTH=jwt), a local token signed with this machine's
 * development key, as `somagent run` signs its gateway token; else none (a server that needs one
 * says so).
 */
export async function cliConnectionOptions(
  config: AuthConfig & Pick<Config, 'TEMPORAL_ADDRESS' | 'TEMPORAL_TLS'>,
): Promise<ReturnType<typeof clientConnectionOptions>> {
  const configured = apiKeyFromConfig(config);
  if (configured || config.TEMPORAL_AUTH !== 'jwt' || config.NODE_ENV === 'production') {
    return clientConnectionOptions(config, configured);
  }
  const local = await localTemporalApiKey({
    dataDir: config.SOMAGENT_DATA_DIR,
    issuer: config.AUTH_ISSUER,
    audience: config.AUTH_AUDIENCE,
    namespace: config.TEMPORAL_NAMESPACE,
    subject: `${os.userInfo().username}@${os.hostname()}`,
    logger: createLogger({ level: 'silent' }),
  }).catch(() => undefined);
  return clientConnectionOptions(config, local);
}
