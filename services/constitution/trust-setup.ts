import type { JWK } from 'jose';
import type { Pool } from 'pg';
import { createTrustStore, type TrustStore } from '../../constitution';
import { loadJwks, mergeJwks } from '../auth';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { loadOrCreateDevSigningKey, publishDefaultIfEmpty } from './bootstrap';
import { createConstitutionStore } from './store';

type Jwks = ReturnType<typeof loadJwks>;

/** What {@link prepareConstitutionTrust} prepared: share it instead of preparing twice. */
export interface ConstitutionTrust {
  /** Keys that sign constitutions. */
  trustStore: TrustStore;
  /** Keys of admin tokens (AUTH_JWKS). */
  authJwks: Jwks;
  /** Outside production: the local development key's public half (it also signs local tokens). */
  devPublicJwk: JWK | null;
}

/**
 * The keys a process trusts for constitutions: AUTH_JWKS, plus — outside production — a local
 * development key (created under the data dir on first use) that signs the shipped default
 * constitution, published when none exists yet. The constitution service and the worker both
 * start this way, so either may be the first process up.
 *
 * @throws when production runs without AUTH_JWKS
 */
export async function prepareConstitutionTrust({
  config,
  logger,
  pool,
}: {
  config: Config;
  logger: Logger;
  pool: Pool;
}): Promise<ConstitutionTrust> {
  const production = config.NODE_ENV === 'production';
  if (production && !config.AUTH_JWKS) {
    throw new Error(
      'AUTH_JWKS must be set in production: it holds the keys of admin tokens and constitution signers',
    );
  }
  const authJwks: Jwks = config.AUTH_JWKS ? loadJwks(config.AUTH_JWKS) : { keys: [] };
  const devKey = production
    ? null
    : await loadOrCreateDevSigningKey({ dataDir: config.SOMAGENT_DATA_DIR, logger });
  const trustStore = createTrustStore(devKey ? mergeJwks(authJwks, { keys: [devKey.publicJwk] }) : authJwks);
  if (devKey && config.CONSTITUTION_BOOTSTRAP_DEFAULT) {
    await publishDefaultIfEmpty({ store: createConstitutionStore(pool), trustStore, key: devKey, logger });
  }
  return { trustStore, authJwks, devPublicJwk: devKey?.publicJwk ?? null };
}
