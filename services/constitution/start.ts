import type { TrustStore } from '../../constitution';
import { createJwtVerifier } from '../auth';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { createPool, migrate } from '../postgres';
import { createConstitutionService } from './service';
import { prepareConstitutionTrust } from './trust-setup';

export interface RunningConstitutionService {
  /** `http://host:port` it listens on. */
  url: string;
  trustStore: TrustStore;
  close(): Promise<void>;
}

/**
 * Starts the constitution service: migrate → pool → trust store (AUTH_JWKS, plus a local
 * development key outside production) → first-start default → listen. Used by the service's own
 * entry point and by `npm start`, which runs it in-process.
 */
export async function startConstitutionService({
  config,
  logger,
  port = config.CONSTITUTION_PORT,
}: {
  config: Config;
  logger: Logger;
  port?: number;
}): Promise<RunningConstitutionService> {
  await migrate({ url: config.DATABASE_URL, logger });
  const pool = createPool({
    url: config.DATABASE_URL,
    max: config.DATABASE_POOL_MAX,
    applicationName: 'somagent-constitution',
  });
  try {
    const { trustStore, authJwks } = await prepareConstitutionTrust({ config, logger, pool });
    const app = createConstitutionService({
      pool,
      logger,
      trustStore,
      verifier: createJwtVerifier({
        jwks: authJwks,
        issuer: config.AUTH_ISSUER,
        audience: config.AUTH_AUDIENCE,
      }),
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
