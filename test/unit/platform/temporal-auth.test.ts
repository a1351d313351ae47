import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeJwt } from 'jose';
import { createJwtVerifier } from '../../../services/auth';
import { loadConfig } from '../../../services/config';
import { loadOrCreateDevSigningKey } from '../../../services/constitution';
import { createLogger } from '../../../services/logger';
import {
  embeddedTemporalAuth,
  localTemporalApiKey,
  platformTemporalApiKey,
  temporalAuthLine,
} from '../../../services/platform/temporal-auth';

const logger = createLogger({ level: 'silent' });
let dataDir: string;
beforeAll(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'somagent-temporal-auth-'));
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('npm start Temporal auth', () => {
  it('is off by default and says who may call', () => {
    const config = loadConfig({});
    expect(embeddedTemporalAuth(config, null)).toBeUndefined();
    expect(temporalAuthLine({ config, address: '127.0.0.1:7233', embedded: true, minted: false })).toBe(
      'temporal auth: off (anyone who reaches 127.0.0.1:7233 may start, signal and approve; set TEMPORAL_AUTH=jwt to require tokens)',
    );
    expect(temporalAuthLine({ config, address: 'temporal:7233', embedded: false, minted: false })).toBe(
      'temporal auth: decided by the server at temporal:7233 (the platform sends no token)',
    );
  });

  it('with jwt, verifies with the development key and mints admin tokens for the platform that it accepts', async () => {
    const config = loadConfig({ TEMPORAL_AUTH: 'jwt', SOMAGENT_DATA_DIR: dataDir });
    const devKey = await loadOrCreateDevSigningKey({ dataDir, logger });
    const auth = embeddedTemporalAuth(config, devKey.publicJwk);
    expect(auth).toEqual({ keys: { keys: [devKey.publicJwk] }, issuer: 'somagent', audience: 'somagent' });
    const apiKey = await platformTemporalApiKey({
      config,
      configured: undefined,
      embeddedAuth: auth,
      logger,
    });
    try {
      const principal = await createJwtVerifier({
        jwks: auth!.keys,
        issuer: 'somagent',
        audience: 'somagent',
      }).verify(apiKey!.current());
      expect(principal.subject).toBe('somagent-platform');
      expect(principal.claims.permissions).toEqual(['default:admin']);
      expect([...principal.scopes]).toEqual(['identity:assert', 'tenant:any']);
      const { exp = 0, iat = 0 } = decodeJwt(apiKey!.current());
      expect(exp - iat).toBe(15 * 60);
    } finally {
      apiKey?.close();
    }
    expect(temporalAuthLine({ config, address: 'x:1', embedded: true, minted: true })).toBe(
      'temporal auth: jwt (permissions claim, keys from the local development key; the platform sends local tokens signed with the development key)',
    );
  });

  it("uses a configured token as is, and asks for one when the keys are an identity provider's", async () => {
    const configured = { current: () => 'given', onChange: () => () => undefined, close: () => undefined };
    const jwks = JSON.stringify({ keys: [] });
    const config = loadConfig({ TEMPORAL_AUTH: 'jwt', AUTH_JWKS: jwks, SOMAGENT_DATA_DIR: dataDir });
    const auth = embeddedTemporalAuth(config, null);
    await expect(platformTemporalApiKey({ config, configured, embeddedAuth: auth, logger })).resolves.toBe(
      configured,
    );
    await expect(
      platformTemporalApiKey({ config, configured: undefined, embeddedAuth: auth, logger }),
    ).rejects.toThrow(
      /TEMPORAL_AUTH=jwt with keys from AUTH_JWKS: set TEMPORAL_API_KEY or TEMPORAL_API_KEY_FILE/,
    );
  });

  it('a minted token names the subject it is for', async () => {
    const apiKey = await localTemporalApiKey({
      dataDir,
      issuer: 'i',
      audience: 'a',
      namespace: 'ns',
      subject: 'me@host',
      logger,
    });
    try {
      expect(decodeJwt(apiKey.current())).toMatchObject({
        sub: 'me@host',
        iss: 'i',
        aud: 'a',
        permissions: ['ns:admin'],
      });
    } finally {
      apiKey.close();
    }
  });
});
