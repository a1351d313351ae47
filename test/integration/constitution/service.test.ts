import type { AddressInfo } from 'node:net';
import { CompactSign, importJWK } from 'jose';
import type { Pool } from 'pg';
import { createJwtVerifier } from '../../../services/auth';
import {
  canonicalize,
  CONSTITUTION_JWS_TYPE,
  createTrustStore,
  DEFAULT_CONSTITUTION,
  evaluate,
  generateSigningKey,
  MAX_CONSTITUTION_VERSION,
  signConstitution,
  SIGNING_ALG,
  validateConstitution,
  type ConstitutionDocument,
  type SigningKeyPair,
} from '../../../constitution';
import { createConstitutionService } from '../../../services/constitution';
import { createLogger } from '../../../services/logger';
import { createPool, migrate } from '../../../services/postgres';
import { createTestDatabase } from '../../support/postgres';
import {
  createTestIssuer,
  TEST_AUDIENCE,
  TEST_ISSUER,
  type TestIssuer,
} from '../../fixtures/constitution/auth';
import { descriptor } from '../../fixtures/constitution/descriptors';
import { seedDecision } from '../../fixtures/constitution/decisions';

// A pristine database per file: constitution versions are global and monotonic, so sharing the
// run's database with other files would make version numbers depend on test order.
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: Pool;
let app: ReturnType<typeof createConstitutionService>;
let base: string;
let signer: SigningKeyPair;
let admin: TestIssuer;

const v = (version: number, overrides: Partial<ConstitutionDocument> = {}): ConstitutionDocument => ({
  ...DEFAULT_CONSTITUTION,
  version,
  label: `1.${version}.0`,
  ...overrides,
});

async function http(method: string, path: string, { body, token }: { body?: unknown; token?: string } = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...(token && { authorization: `Bearer ${token}` }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const json = res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
  return { status: res.status, body: json, headers: res.headers };
}

beforeAll(async () => {
  db = await createTestDatabase('constitution');
  await migrate({ url: db.url });
  pool = createPool({ url: db.url, max: 4 });
  signer = await generateSigningKey();
  admin = await createTestIssuer();
  ({ app, base } = await serve('open'));
});

/** A service over this file's database, signer and admin issuer, listening on a free port. */
async function serve(readAccess: 'open' | 'token') {
  const service = createConstitutionService({
    pool,
    logger: createLogger({ level: 'silent' }),
    trustStore: createTrustStore({ keys: [signer.publicJwk] }),
    verifier: createJwtVerifier({
      jwks: { keys: [admin.publicJwk] },
      issuer: TEST_ISSUER,
      audience: TEST_AUDIENCE,
    }),
    refreshIntervalMs: 0,
    readAccess,
  });
  await service.listen({ port: 0, host: '127.0.0.1' });
  return { app: service, base: `http://127.0.0.1:${(service.server.address() as AddressInfo).port}` };
}

afterAll(async () => {
  await app?.close();
  await pool?.end();
  await db?.drop();
});

describe('before anything is published', () => {
  it('has no current version and cannot evaluate', async () => {
    expect((await http('GET', '/v1/constitution')).status).toBe(404);
    expect((await http('POST', '/v1/evaluate', { body: { descriptor: descriptor() } })).status).toBe(503);
    expect((await http('GET', '/health')).body).toEqual({ status: 'ok', currentVersion: null });
  });
});

describe('publish', () => {
  it('rejects a missing token with 401 and a Bearer challenge', async () => {
    const jws = await signConstitution(v(1), { privateJwk: signer.privateJwk });
    const res = await http('POST', '/v1/constitution/versions', { body: { jws } });
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('missing_token');
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('rejects an expired token with 401', async () => {
    const jws = await signConstitution(v(1), { privateJwk: signer.privateJwk });
    const res = await http('POST', '/v1/constitution/versions', {
      body: { jws },
      token: await admin.token({ expiresIn: -600 }),
    });
    expect(res).toMatchObject({ status: 401, body: { error: 'expired' } });
  });

  it('rejects a token from an untrusted issuer key or for another audience with 401', async () => {
    const jws = await signConstitution(v(1), { privateJwk: signer.privateJwk });
    const stranger = await createTestIssuer();
    expect(
      (await http('POST', '/v1/constitution/versions', { body: { jws }, token: await stranger.token() }))
        .status,
    ).toBe(401);
    const res = await http('POST', '/v1/constitution/versions', {
      body: { jws },
      token: await admin.token({ audience: 'other' }),
    });
    expect(res).toMatchObject({ status: 401, body: { error: 'invalid_claims' } });
  });

  it('rejects a token without constitution:publish with 403', async () => {
    const jws = await signConstitution(v(1), { privateJwk: signer.privateJwk });
    const token = await admin.token({ scope: 'constitution:read training:manage' });
    const res = await http('POST', '/v1/constitution/versions', { body: { jws }, token });
    expect(res).toMatchObject({ status: 403, body: { error: 'insufficient_scope' } });
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM constitution_versions');
    expect(rows[0].n).toBe(0);
  });

  it('names the bad field of an invalid body', async () => {
    const res = await http('POST', '/v1/constitution/versions', {
      body: { jwz: 'x' },
      token: await admin.token(),
    });
    expect(res.status).toBe(400);
    expect(res.body.issues.map((i: { path: string }) => i.path).sort()).toEqual(['body', 'body.jws']);
  });

  it('stores a signed version and writes constitution.updated to the outbox in the same transaction', async () => {
    const jws = await signConstitution(v(1), { privateJwk: signer.privateJwk });
    const res = await http('POST', '/v1/constitution/versions', {
      body: { jws },
      token: await admin.token({ sub: 'alice@example.com', scope: 'training:manage constitution:publish' }),
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      version: 1,
      label: '1.1.0',
      signerKid: signer.kid,
      publishedBy: 'alice@example.com',
    });
    const expectedHash = validateConstitution(v(1)).hash;
    expect(res.body.hash).toBe(expectedHash);

    const outbox = await pool.query('SELECT topic, key, envelope FROM outbox WHERE id = $1', [
      res.body.eventId,
    ]);
    expect(outbox.rows).toHaveLength(1);
    expect(outbox.rows[0]).toMatchObject({
      topic: 'somagent.constitution.v1',
      key: 'constitution',
      envelope: {
        type: 'constitution.updated',
        data: { version: 1, hash: expectedHash, previousVersion: null, jws },
      },
    });
    const stored = await pool.query('SELECT document, jws FROM constitution_versions WHERE version = 1');
    expect(canonicalize(stored.rows[0].document)).toBe(canonicalize(v(1)));
  });

  it('rejects rollback (same or lower version) with 409 and writes nothing', async () => {
    const before = await pool.query('SELECT count(*)::int AS n FROM outbox');
    const jws = await signConstitution(v(1, { label: '9.9.9' }), { privateJwk: signer.privateJwk });
    const res = await http('POST', '/v1/constitution/versions', {
      body: { jws },
      token: await admin.token(),
    });
    expect(res).toMatchObject({ status: 409, body: { error: 'rollback' } });
    const after = await pool.query('SELECT count(*)::int AS n FROM outbox');
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });

  it('rejects a tampered document, an unknown signer and an expired signature with 422', async () => {
    const jws = await signConstitution(v(2), { privateJwk: signer.privateJwk });
    const [h, , s] = jws.split('.');
    const forged = `${h}.${Buffer.from(canonicalize(v(2, { threshold: 0.1, reviewThreshold: 0.05 }))).toString('base64url')}.${s}`;
    const token = await admin.token();
    expect(
      (await http('POST', '/v1/constitution/versions', { body: { jws: forged }, token })).body.error,
    ).toBe('bad_signature');
    const rogue = await generateSigningKey();
    const rogueJws = await signConstitution(v(2), { privateJwk: rogue.privateJwk });
    expect(await http('POST', '/v1/constitution/versions', { body: { jws: rogueJws }, token })).toMatchObject(
      {
        status: 422,
        body: { error: 'unknown_key' },
      },
    );
    const old = await signConstitution(v(2), {
      privateJwk: signer.privateJwk,
      issuedAt: new Date(Date.now() - 86_400_000),
      lifetimeSeconds: 60,
    });
    expect(await http('POST', '/v1/constitution/versions', { body: { jws: old }, token })).toMatchObject({
      status: 422,
      body: { error: 'expired' },
    });
  });

  it('serves current, history and single versions', async () => {
    const jws = await signConstitution(v(2), { privateJwk: signer.privateJwk });
    expect(
      (await http('POST', '/v1/constitution/versions', { body: { jws }, token: await admin.token() })).status,
    ).toBe(201);
    const current = await http('GET', '/v1/constitution');
    expect(current.body).toMatchObject({ version: 2, label: '1.2.0', jws });
    const history = await http('GET', '/v1/constitution/versions?limit=10');
    expect(history.body.versions.map((x: { version: number }) => x.version)).toEqual([2, 1]);
    expect(
      (await http('GET', '/v1/constitution/versions?limit=1&before=2')).body.versions.map(
        (x: { version: number }) => x.version,
      ),
    ).toEqual([1]);
    expect((await http('GET', '/v1/constitution/versions/1')).body).toMatchObject({
      version: 1,
      document: v(1),
    });
    expect((await http('GET', '/v1/constitution/versions/7')).status).toBe(404);
    expect((await http('GET', '/v1/constitution/versions?limit=0')).body.issues[0].path).toBe('query.limit');
  });

  it('answers 400 naming the parameter and the integer range for a bad version in the path', async () => {
    // 99999999999999999999 used to reach Postgres (integer column) and come back as a 500.
    for (const bad of [
      '99999999999999999999',
      '2147483648',
      '0',
      '-1',
      '1.5',
      '1e3',
      '0x10',
      'two',
      '%201',
    ]) {
      const res = await http('GET', `/v1/constitution/versions/${bad}`);
      expect({ bad, status: res.status }).toEqual({ bad, status: 400 });
      expect(res.body).toMatchObject({
        error: 'invalid_request',
        issues: [
          {
            path: 'params.version',
            message: 'expected a constitution version: a whole number from 1 to 2147483647',
          },
        ],
      });
      expect(res.body.message).toContain('params.version');
    }
    // The largest storable version is a valid question with an honest answer.
    expect(await http('GET', '/v1/constitution/versions/2147483647')).toMatchObject({ status: 404 });
  });

  it('answers 400 naming the query parameter and its range for bad history paging', async () => {
    const cases: [string, string, string][] = [
      ['before=99999999999999999999', 'query.before', 'from 1 to 2147483647'],
      ['before=2147483648', 'query.before', 'from 1 to 2147483647'],
      ['before=1.5', 'query.before', 'from 1 to 2147483647'],
      ['before=0x2', 'query.before', 'from 1 to 2147483647'],
      ['limit=501', 'query.limit', 'from 1 to 500'],
      ['limit=1e2', 'query.limit', 'from 1 to 500'],
      ['limit=', 'query.limit', 'from 1 to 500'],
      ['limit=1&limit=2', 'query.limit', 'from 1 to 500'],
    ];
    for (const [query, path, range] of cases) {
      const res = await http('GET', `/v1/constitution/versions?${query}`);
      expect({ query, status: res.status }).toEqual({ query, status: 400 });
      expect(res.body.issues).toEqual([{ path, message: expect.stringContaining(range) }]);
    }
    expect(
      (await http('GET', '/v1/constitution/versions?before=2147483647&limit=500')).body.versions.map(
        (x: { version: number }) => x.version,
      ),
    ).toEqual([2, 1]);
  });

  it('refuses to publish a version the integer column cannot hold, naming the field', async () => {
    // signConstitution validates first, so sign the over-range document by hand.
    const document = v(MAX_CONSTITUTION_VERSION + 1);
    const iat = Math.floor(Date.now() / 1000);
    const jws = await new CompactSign(new TextEncoder().encode(canonicalize(document)))
      .setProtectedHeader({
        alg: SIGNING_ALG,
        typ: CONSTITUTION_JWS_TYPE,
        kid: signer.kid,
        iat,
        exp: iat + 3600,
        crit: ['exp'],
      })
      .sign(await importJWK(signer.privateJwk, SIGNING_ALG), { crit: { exp: true } });
    const res = await http('POST', '/v1/constitution/versions', {
      body: { jws },
      token: await admin.token(),
    });
    expect(res.status).toBe(422);
    expect(res.body.issues).toEqual([
      expect.objectContaining({ message: expect.stringContaining('from 1 to 2147483647') }),
    ]);
    expect(JSON.stringify(res.body.issues)).toContain('version');
    expect((await http('GET', '/v1/constitution')).body.version).toBe(2);
  });
});

describe('evaluate', () => {
  it('returns the same evaluation as the in-process evaluator under the current version', async () => {
    const x = descriptor({
      tool: { id: 'http.request', risk: 'high', category: 'network' },
      args: { digest: 'sha256:x', pii: ['email'], piiCount: 1, hosts: ['api.example.com'], write: true },
      persona: { id: 'p', trust: 0.6 },
    });
    const res = await http('POST', '/v1/evaluate', { body: { descriptor: x } });
    expect(res.status).toBe(200);
    const expected = evaluate(validateConstitution(v(2)), x);
    expect(res.body).toMatchObject({ ...expected, constitutionVersion: 2 });
  });

  it('builds the descriptor from raw facts when given an action', async () => {
    const res = await http('POST', '/v1/evaluate', {
      body: {
        action: {
          activityType: 'runTool',
          tenant: 'acme',
          tool: { id: 'http.request', risk: 'high', category: 'network' },
          args: { url: 'https://x.example.com', body: 'card 4111 1111 1111 1111' },
        },
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.descriptor.args).toMatchObject({ hosts: ['x.example.com'], pii: ['creditCard'] });
    expect(res.body.decision).toBe('deny');
    expect(res.body.rulesFired.map((r: { id: string }) => r.id)).toContain('no-card-numbers-out');
  });

  it('names the bad descriptor field', async () => {
    const res = await http('POST', '/v1/evaluate', {
      body: { descriptor: { ...descriptor(), persona: { id: 'p', trust: 3 } } },
    });
    expect(res.status).toBe(400);
    expect(res.body.issues).toEqual([
      { path: 'body.descriptor.persona.trust', message: 'trust is in [0, 1]' },
    ]);
    expect((await http('POST', '/v1/evaluate', { body: { nothing: 1 } })).body.issues[0].path).toBe('body');
  });
});

describe('what-if', () => {
  it('reports decisions that flip under a candidate, per transition and feature', async () => {
    const current = validateConstitution(v(2));
    const tenant = `whatif-${Date.now()}`;
    const writer = descriptor({
      tenant,
      tool: { id: 'workspace.write', risk: 'medium', category: 'filesystem' },
      args: { digest: 'sha256:w', pii: [], piiCount: 0, hosts: [], write: true },
      persona: { id: 'p', trust: 0.9 },
    });
    const reader = descriptor({ tenant });
    await seedDecision(pool, current, writer);
    await seedDecision(pool, current, reader);
    expect(evaluate(current, writer).decision).toBe('allow');

    // Candidate: writes score 0 instead of 0.5, and reviewing starts higher.
    const candidate = v(3, {
      features: DEFAULT_CONSTITUTION.features.map((f) =>
        f.name === 'writeSideEffects' ? { ...f, params: { write: 0 } } : f,
      ),
      threshold: 0.9,
      reviewThreshold: 0.8,
    });
    const token = await admin.token({ scope: 'constitution:read' });
    const res = await http('POST', '/v1/whatif', { body: { candidate, since: '1h', tenant }, token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ examined: 2, flipped: 1, unchanged: 1, candidate: { version: 3 } });
    // writer under the candidate: 0.15·0.7 + 0.15 + 0.15 + 0.1·0 + 0.1 + 0.1·0.9 + 0.1 + 0.05 + 0.02·0.8
    // + 0.08 = 0.841, inside the new review band [0.8, 0.9); the reader stays at 0.976 (allow).
    expect(res.body.transitions).toEqual({ 'allow->review': 1 });
    expect(res.body.byFeature).toEqual({ writeSideEffects: 1 });
    expect(res.body.flips[0]).toMatchObject({ from: 'allow', to: 'review', tenant, scoreAfter: 0.841 });
    expect(res.body.flips[0].featureShifts).toEqual([
      { feature: 'writeSideEffects', before: 0.05, after: 0, delta: -0.05 },
    ]);

    // The same candidate signed: verified first, same answer.
    const jws = await signConstitution(candidate, { privateJwk: signer.privateJwk });
    const signed = await http('POST', '/v1/whatif', { body: { candidate: jws, since: '1h', tenant }, token });
    expect(signed.body.transitions).toEqual({ 'allow->review': 1 });
  });

  it('requires a token and validates the window', async () => {
    expect((await http('POST', '/v1/whatif', { body: { candidate: v(3) } })).status).toBe(401);
    const token = await admin.token({ scope: 'constitution:read' });
    const res = await http('POST', '/v1/whatif', { body: { candidate: v(3), since: 'last tuesday' }, token });
    expect(res.status).toBe(400);
    expect(res.body.issues[0].path).toBe('body.since');
    const invalid = await http('POST', '/v1/whatif', {
      body: { candidate: { ...v(3), threshold: 7 } },
      token,
    });
    expect(invalid).toMatchObject({ status: 422, body: { error: 'invalid_constitution' } });
    expect(invalid.body.issues[0].path).toBe('threshold');
  });
});

describe('operations', () => {
  it('exposes Prometheus metrics', async () => {
    const res = await http('GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.body).toMatch(/somagent_constitution_decisions_total\{decision="deny"\} [1-9]/);
    expect(res.body).toMatch(/somagent_constitution_publish_total\{result="published"\} 2/);
    expect(res.body).toMatch(/somagent_constitution_current_version 2/);
  });

  it('reports health with the current version', async () => {
    expect((await http('GET', '/health')).body).toEqual({ status: 'ok', currentVersion: 2 });
  });
});

describe('concurrent publishes', () => {
  it('let exactly one of two racing publishes of the same version win', async () => {
    const token = await admin.token();
    const [a, b] = await Promise.all([
      signConstitution(v(3), { privateJwk: signer.privateJwk }),
      signConstitution(v(3, { label: '3.0.1' }), { privateJwk: signer.privateJwk }),
    ]);
    const results = await Promise.all([
      http('POST', '/v1/constitution/versions', { body: { jws: a }, token }),
      http('POST', '/v1/constitution/versions', { body: { jws: b }, token }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    const events = await pool.query(
      `SELECT count(*)::int AS n FROM outbox WHERE envelope->>'type' = 'constitution.updated' AND (envelope->'data'->>'version')::int = 3`,
    );
    expect(events.rows[0].n).toBe(1);
    const winner = results.find((r) => r.status === 201)!;
    expect((await http('GET', '/v1/constitution')).body.label).toBe(winner.body.label);
  });
});

describe('read access where auth is configured', () => {
  let guarded: ReturnType<typeof createConstitutionService>;
  let guardedBase: string;

  beforeAll(async () => {
    ({ app: guarded, base: guardedBase } = await serve('token'));
  });
  afterAll(async () => {
    await guarded?.close();
  });

  async function call(method: string, path: string, token?: string) {
    const res = await fetch(`${guardedBase}${path}`, {
      method,
      headers: {
        ...(method === 'POST' && { 'content-type': 'application/json' }),
        ...(token && { authorization: `Bearer ${token}` }),
      },
      body: method === 'POST' ? JSON.stringify({ descriptor: descriptor() }) : undefined,
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  it.each([
    ['GET', '/v1/constitution'],
    ['GET', '/v1/constitution/versions'],
    ['GET', '/v1/constitution/versions/1'],
    ['POST', '/v1/evaluate'],
  ])('%s %s needs a token with constitution:read', async (method, path) => {
    const anonymous = await call(method, path);
    expect(anonymous.status).toBe(401);
    expect(JSON.stringify(anonymous.body)).toContain('Bearer');
    const wrongScope = await call(method, path, await admin.token({ scope: 'training:manage' }));
    expect(wrongScope.status).toBe(403);
    expect(JSON.stringify(wrongScope.body)).toContain('constitution:read');
    const expired = await call(
      method,
      path,
      await admin.token({ scope: 'constitution:read', expiresIn: -600 }),
    );
    expect(expired.status).toBe(401);
    const reader = await call(method, path, await admin.token({ scope: 'constitution:read' }));
    expect(reader.status).toBe(200);
  });

  it('keeps health open for probes', async () => {
    expect((await call('GET', '/health')).status).toBe(200);
  });
});
