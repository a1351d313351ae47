import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { createPool, migrate } from '../postgres';
import { createTrustStore } from '../../constitution';
import { createJwtVerifier, loadJwks, mergeJwks } from '../auth';
import { loadOrCreateDevSigningKey, publishDefaultIfEmpty } from './bootstrap';
import { createConstitutionService } from './service';
import { createConstitutionStore } from './store';

/**
 * Entry point of the constitution service: config → migrate → pool → trust store (AUTH_JWKS,
 * plus a local development key outside production) → first-start default → listen. SIGINT and
 * SIGTERM close the server and the pool.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.LOG_LEVEL, name: 'constitution' });
  const production = config.NODE_ENV === 'production';
  if (production && !config.AUTH_JWKS) {
    throw new Error(
      'AUTH_JWKS must be set in production: it holds the keys of admin tokens and constitution signers',
    );
  }

  await migrate({ url: config.DATABASE_URL, logger });
  const pool = createPool({
    url: config.DATABASE_URL,
    max: config.DATABASE_POOL_MAX,
    applicationName: 'somagent-constitution',
  });
  const authJwks = config.AUTH_JWKS ? loadJwks(config.AUTH_JWKS) : { keys: [] };
  const devKey = production
    ? null
    : await loadOrCreateDevSigningKey({ dataDir: config.SOMAGENT_DATA_DIR, logger });
  const trustStore = createTrustStore(devKey ? mergeJwks(authJwks, { keys: [devKey.publicJwk] }) : authJwks);
  if (devKey && config.CONSTITUTION_BOOTSTRAP_DEFAULT) {
    await publishDefaultIfEmpty({ store: createConstitutionStore(pool), trustStore, key: devKey, logger });
  }

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
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    app
      .close()
      .then(() => pool.end())
      .catch((err: unknown) => logger.error({ err }, 'shutdown failed'));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  await app.listen({ port: config.CONSTITUTION_PORT, host: config.CONSTITUTION_HOST });
  logger.info(
    { port: config.CONSTITUTION_PORT, host: config.CONSTITUTION_HOST, trustedKeys: trustStore.kids },
    'constitution service listening',
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`constitution: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
