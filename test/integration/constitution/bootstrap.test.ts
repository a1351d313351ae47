import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createTrustStore,
  DEFAULT_CONSTITUTION,
  validateConstitution,
  verifyConstitution,
} from '../../../constitution';
import {
  createConstitutionStore,
  loadCurrentConstitution,
  verifyConstitutionUpdate,
} from '../../../services/constitution';
import { parseEnvelope } from '../../../services/events';
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

      // A gate loads the version in force from Postgres and verifies it itself.
      const loaded = await loadCurrentConstitution({ pool, trustStore });
      expect(loaded).toMatchObject({ hash: stored!.hash, kid: key.kid });
      await expect(
        loadCurrentConstitution({ pool, trustStore: createTrustStore({ keys: [] }) }),
      ).rejects.toThrow(/not in the trust store/);

      // ...and hot-reloads from the outbox event, ignoring replays of versions it already has.
      const { rows } = await pool.query(
        `SELECT envelope FROM outbox WHERE envelope->>'type' = 'constitution.updated'`,
      );
      const event = parseEnvelope(rows[0].envelope);
      expect((await verifyConstitutionUpdate(event, trustStore, 0))?.hash).toBe(stored!.hash);
      expect(await verifyConstitutionUpdate(event, trustStore, 1)).toBeNull();
      const forged = { ...event, data: { ...event.data, hash: 'sha256:0' } };
      await expect(verifyConstitutionUpdate(forged, trustStore, 0)).rejects.toThrow(/does not match/);
    } finally {
      await pool.end();
      await db.drop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
