import type { TrustStore } from '../../constitution';
import { createJwtVerifier, verificationKeysFromEnv } from '../auth';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { createPool, migrate } from '../postgres';
import { createConstitutionService } from './service';
import { prepareConstitutionTrust, type ConstitutionTrust } from './trust-setup';

export interface RunningConstitutionService {
  /** `http://host:port` it listens on. */
  url: string;
  trustStore: TrustStore;
  close(): Promise<void>;
}

/**
 * Starts the constitution service: migrate → pool → trust store (AUTH_JWKS, plus a local
 * development key outside production) → first-start default → listen. Used by the service's own
 * entry point and by `npm start`, which runs it in-process, migrates and prepares the trust once
 * for every component and passes `migrated` and `trust`.
 */
export async function startConstitutionService({
  config,
  logger,
  port = config.CONSTITUTION_PORT,
  migrated = false,
  trust,
}: {
  config: Config;
  logger: Logger;
  port?: number;
  /** The caller already migrated the schema. @default false */
  migrated?: boolean;
  /** Trust prepared by the caller (`prepareConstitutionTrust`); otherwise prepared here. */
  trust?: ConstitutionTrust;
}): Promise<RunningConstitutionService> {
  if (!migrated) await migrate({ url: config.DATABASE_URL, logger });
  const pool = createPool({
    url: config.DATABASE_URL,
    max: config.DATABASE_POOL_MAX,
    applicationName: 'somagent-constitution',
  });
  try {
    const { trustStore, authJwks } = trust ?? (await prepareConstitutionTrust({ config, logger, pool }));
    const app = createConstitutionService({
      pool,
      logger,
      trustStore,
      verifier: createJwtVerifier({
        jwks: verificationKeysFromEnv(config, authJwks),
        issuer: config.AUTH_ISSUER,
        audience: config.AUTH_AUDIENCE,
      }),
      // Wherever an identity provider is configured, reading the policy and evaluating need a token.
      readAccess:
        config.AUTH_JWKS || config.AUTH_PUBLIC_KEY || config.NODE_ENV === 'production' ? 'token' : 'open',
    });
    const url = await app.listen({ port, host: config.CONSTITUTION_HOST });
    logger.info({ url, trustedKeys: trustStore.kids }, 'constitution service listening');
    return {
      url,
      trustStore,
      close: async () => {
        await app.close();
        await pool.end();
      },
    };
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
}
