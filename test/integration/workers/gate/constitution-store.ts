import type { Pool } from 'pg';
import {
  createTrustStore,
  generateSigningKey,
  signConstitution,
  verifyConstitution,
  type ConstitutionDocument,
  type SigningKeyPair,
  type TrustStore,
} from '../../../../constitution';
import { createConstitutionStore } from '../../../../services/constitution';
import { createPool, migrate } from '../../../../services/postgres';
import { createTestDatabase } from '../../../support/postgres';
import { simpleConstitution } from '../../../fixtures/constitution/descriptors';

/**
 * A pristine, migrated database with a throwaway signing key. Constitution versions are global
 * and monotonic, so each test file gets its own database instead of the run's shared one.
 */
export interface GateTestStore {
  /** URL of the private database (for processes that open their own pool, e.g. a worker runtime). */
  url: string;
  pool: Pool;
  signer: SigningKeyPair;
  trustStore: TrustStore;
  /** Signs version `version` of the simple test constitution. */
  sign(version: number, overrides?: Partial<ConstitutionDocument>): Promise<string>;
  /** Signs and publishes through the constitution store (row + `constitution.updated` outbox event). */
  publish(
    version: number,
    overrides?: Partial<ConstitutionDocument>,
  ): Promise<Awaited<ReturnType<ReturnType<typeof createConstitutionStore>['publish']>>>;
  close(): Promise<void>;
}

export async function createGateTestStore(label: string): Promise<GateTestStore> {
  const db = await createTestDatabase(label);
  await migrate({ url: db.url });
  const pool = createPool({ url: db.url, max: 4 });
  const signer = await generateSigningKey();
  const trustStore = createTrustStore({ keys: [signer.publicJwk] });
  const store = createConstitutionStore(pool);
  const sign = (version: number, overrides: Partial<ConstitutionDocument> = {}) =>
    signConstitution(simpleConstitution({ version, label: `1.${version}.0`, ...overrides }), {
      privateJwk: signer.privateJwk,
    });
  return {
    url: db.url,
    pool,
    signer,
    trustStore,
    sign,
    async publish(version, overrides) {
      const jws = await sign(version, overrides);
      return store.publish(await verifyConstitution(jws, trustStore), jws, 'gate-test');
    },
    async close() {
      await pool.end();
      await db.drop();
    },
  };
}
