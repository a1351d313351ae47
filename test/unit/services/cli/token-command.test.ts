import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { loadOrCreateDevSigningKey } from '../../../../services/constitution/bootstrap';
import { createLogger } from '../../../../services/logger';
import { runSomagent } from '../../../support/cli';

// `somagent token approval`: the local stand-in for the identity provider that issues approvers'
// tokens, signed with the development key the worker trusts when no AUTH_* keys are set.

let dir: string;
const saved = { ...process.env };

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'somagent-token-'));
});
afterEach(() => {
  process.env = { ...saved };
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('somagent token approval', () => {
  it('signs an approval token the development key verifies, with the claims the run checks', async () => {
    const key = await loadOrCreateDevSigningKey({ dataDir: dir, logger: createLogger({ level: 'silent' }) });
    Object.assign(process.env, { SOMAGENT_DATA_DIR: dir, NODE_ENV: 'development' });
    const printed = await runSomagent(
      'token',
      'approval',
      'run-1:forecast',
      '--tenant',
      'acme',
      '--subject',
      'cfo@acme',
      '--decision',
      'reject',
      '--ttl',
      '60',
    );
    const { payload } = await jwtVerify(printed.trim(), createLocalJWKSet({ keys: [key.publicJwk] }), {
      issuer: 'somagent',
      audience: 'somagent',
    });
    expect(payload).toMatchObject({
      sub: 'cfo@acme',
      tenant: 'acme',
      scope: 'capsule:approve',
      approval: 'run-1:forecast',
      decision: 'reject',
    });
    expect(payload.exp! - payload.iat!).toBe(60);
  });

  it('is refused in production, and names the missing key elsewhere', async () => {
    Object.assign(process.env, { SOMAGENT_DATA_DIR: dir, NODE_ENV: 'production', AUTH_JWKS: '{"keys":[]}' });
    await expect(runSomagent('token', 'approval', 'x', '--tenant', 'acme')).rejects.toThrow(
      'refused in production: approval tokens come from your identity provider',
    );
    Object.assign(process.env, { SOMAGENT_DATA_DIR: path.join(dir, 'nowhere'), NODE_ENV: 'development' });
    delete process.env.AUTH_JWKS;
    await expect(runSomagent('token', 'approval', 'x', '--tenant', 'acme')).rejects.toThrow(
      'no local development key at',
    );
  });
});
