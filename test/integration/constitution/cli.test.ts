import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Pool } from 'pg';
import { DEFAULT_CONSTITUTION, validateConstitution } from '../../../constitution';
import { runSomagent } from '../../support/cli';
import { createJwtVerifier } from '../../../services/auth';
import { createConstitutionService } from '../../../services/constitution';
import { readKeyPair } from '../../../services/constitution/key-files';
import { createLogger } from '../../../services/logger';
import { createPool, migrate } from '../../../services/postgres';
import { createTrustStore } from '../../../constitution';
import { createTestDatabase } from '../../support/postgres';
import { testPool } from '../../support/pg';
import { createTestIssuer, TEST_AUDIENCE, TEST_ISSUER } from '../../fixtures/constitution/auth';
import { descriptor } from '../../fixtures/constitution/descriptors';
import { seedDecision } from '../../fixtures/constitution/decisions';

let dir: string;
let pool: Pool;
const savedDataDir = process.env.SOMAGENT_DATA_DIR;

const somagent = runSomagent;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'somagent-cli-'));
  process.env.SOMAGENT_DATA_DIR = path.join(dir, 'data');
  pool = testPool();
});

afterAll(async () => {
  process.env.SOMAGENT_DATA_DIR = savedDataDir;
  await pool.end();
  await rm(dir, { recursive: true, force: true });
});

describe('somagent constitution', () => {
  it('keygen writes a 0600 private key and a public JWKS, and refuses to overwrite', async () => {
    const result = JSON.parse(await somagent('constitution', 'keygen'));
    expect(result.privateKey).toBe(path.join(dir, 'data', 'constitution', 'keys', 'dev.private.jwk.json'));
    expect((await stat(result.privateKey)).mode & 0o777).toBe(0o600);
    const jwks = JSON.parse(await readFile(result.jwks, 'utf8'));
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0].d).toBeUndefined();
    expect(jwks.keys[0].kid).toBe(result.kid);
    await expect(somagent('constitution', 'keygen')).rejects.toThrow(/already exists/);
  });

  it('validate, sign, verify and eval round-trip the default constitution', async () => {
    const docFile = path.join(dir, 'default.json');
    await writeFile(docFile, JSON.stringify(DEFAULT_CONSTITUTION));
    const validated = JSON.parse(await somagent('constitution', 'validate', docFile));
    expect(validated).toMatchObject({
      valid: true,
      version: 1,
      hash: validateConstitution(DEFAULT_CONSTITUTION).hash,
    });

    const jwsFile = path.join(dir, 'default.jws');
    await somagent('constitution', 'sign', docFile, '--out', jwsFile, '--lifetime', '1d');
    const verified = JSON.parse(await somagent('constitution', 'verify', jwsFile));
    expect(verified).toMatchObject({ valid: true, version: 1, hash: validated.hash });
    expect(new Date(verified.expiresAt).getTime() - new Date(verified.issuedAt).getTime()).toBe(86_400_000);
    await expect(somagent('constitution', 'verify', jwsFile, '--current-version', '1')).rejects.toThrow(
      /does not exceed/,
    );

    const xFile = path.join(dir, 'x.json');
    await writeFile(
      xFile,
      JSON.stringify(descriptor({ tool: { id: 'shell.exec', risk: 'critical', category: 'exec' } })),
    );
    const evaluation = JSON.parse(await somagent('constitution', 'eval', jwsFile, '--descriptor', xFile));
    expect(evaluation.decision).toBe('deny');
    expect(evaluation.rulesFired.map((r: { id: string }) => r.id)).toContain(
      'no-critical-tools-unsupervised',
    );
  });

  it('validate reports bad fields by path', async () => {
    const docFile = path.join(dir, 'bad.yaml');
    await writeFile(docFile, 'apiVersion: somagent.constitution/v1\nversion: 1\nlabel: one\n');
    await expect(somagent('constitution', 'validate', docFile)).rejects.toThrow(
      /label: expected a semver label/,
    );
  });

  it('whatif lists flips of recorded decisions', async () => {
    const tenant = `cli-${randomUUID()}`;
    const current = validateConstitution(DEFAULT_CONSTITUTION);
    await seedDecision(
      pool,
      current,
      descriptor({ tenant, tool: { id: 'workspace.write', risk: 'low', category: 'filesystem' } }),
    );
    const candidateFile = path.join(dir, 'candidate.json');
    await writeFile(
      candidateFile,
      JSON.stringify({
        ...DEFAULT_CONSTITUTION,
        version: 2,
        label: '2.0.0',
        overlays: { [tenant]: { deniedTools: ['workspace.write'] } },
      }),
    );
    const text = await somagent('constitution', 'whatif', candidateFile, '--since', '1h', '--tenant', tenant);
    expect(text).toContain('examined 1, unchanged 0, flipped 1');
    expect(text).toMatch(/allow->deny\s+1/);
    expect(text).toMatch(/\+overlay\.denied-tools\s+1/);
    const report = JSON.parse(
      await somagent('constitution', 'whatif', candidateFile, '--since', '1h', '--tenant', tenant, '--json'),
    );
    expect(report.flips[0]).toMatchObject({
      from: 'allow',
      to: 'deny',
      rulesAdded: ['overlay.denied-tools'],
    });
  });

  it('publish sends a signed version to the service with the admin token', async () => {
    const db = await createTestDatabase('constitution_cli');
    await migrate({ url: db.url });
    const servicePool = createPool({ url: db.url, max: 2 });
    const admin = await createTestIssuer();
    const key = await readKeyPair(path.join(dir, 'data', 'constitution', 'keys', 'dev.private.jwk.json'));
    const app = createConstitutionService({
      pool: servicePool,
      logger: createLogger({ level: 'silent' }),
      trustStore: createTrustStore({ keys: [key.publicJwk] }),
      verifier: createJwtVerifier({
        jwks: { keys: [admin.publicJwk] },
        issuer: TEST_ISSUER,
        audience: TEST_AUDIENCE,
      }),
    });
    try {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      const tokenFile = path.join(dir, 'token');
      await writeFile(tokenFile, await admin.token());
      const published = JSON.parse(
        await somagent(
          'constitution',
          'publish',
          path.join(dir, 'default.jws'),
          '--url',
          url,
          '--token-file',
          tokenFile,
        ),
      );
      expect(published).toMatchObject({ version: 1, signerKid: key.kid });
      await writeFile(tokenFile, await admin.token({ scope: 'constitution:read' }));
      await expect(
        somagent(
          'constitution',
          'publish',
          path.join(dir, 'default.jws'),
          '--url',
          url,
          '--token-file',
          tokenFile,
        ),
      ).rejects.toThrow(/403 insufficient_scope/);
    } finally {
      await app.close();
      await servicePool.end();
      await db.drop();
    }
  });
});
