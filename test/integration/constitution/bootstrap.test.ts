import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createTrustStore,
  DEFAULT_CONSTITUTION,
  validateConstitution,
  verifyConstitution,
} from '../../../constitution';
import { createConstitutionStore } from '../../../services/constitution';
import { loadOrCreateDevSigningKey, publishDefaultIfEmpty } from '../../../services/constitution/bootstrap';
import { createLogger } from '../../../services/logger';
import { createPool, migrate } from '../../../services/postgres';
import { createTestDatabase } from '../../support/postgres';

describe('first start', () => {
  it('generates the dev key once, then signs and publishes the default exactly once', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'somagent-boot-'));
    const db = await createTestDatabase('constitution_boot');
    const pool = createPool({ url: db.url, max: 2 });
    const logger = createLogger({ level: 'silent' });
    try {
      await migrate({ url: db.url });
      const key = await loadOrCreateDevSigningKey({ dataDir, logger });
      const privateFile = path.join(dataDir, 'constitution', 'keys', 'dev.private.jwk.json');
      expect((await stat(privateFile)).mode & 0o777).toBe(0o600);
      expect((await loadOrCreateDevSigningKey({ dataDir, logger })).kid).toBe(key.kid);

      const store = createConstitutionStore(pool);
      const trustStore = createTrustStore({ keys: [key.publicJwk] });
      const stored = await publishDefaultIfEmpty({ store, trustStore, key, logger });
      expect(stored).toMatchObject({
        version: 1,
        hash: validateConstitution(DEFAULT_CONSTITUTION).hash,
        signerKid: key.kid,
      });
      await expect(verifyConstitution(stored!.jws, trustStore)).resolves.toMatchObject({
        hash: stored!.hash,
      });
      expect(await publishDefaultIfEmpty({ store, trustStore, key, logger })).toBeNull();
      expect((await store.history()).map((h) => h.version)).toEqual([1]);
    } finally {
      await pool.end();
      await db.drop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
