import { AuthError, createJwtVerifier } from '../../../services/auth';
import {
  createTestIssuer,
  TEST_AUDIENCE,
  TEST_ISSUER,
  type TestIssuer,
} from '../../fixtures/constitution/auth';

async function failure(promise: Promise<unknown>): Promise<{ status: number; code: string }> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(AuthError);
    return { status: (err as AuthError).status, code: (err as AuthError).code };
  }
  throw new Error('expected an AuthError');
}

describe('createJwtVerifier', () => {
  let issuer: TestIssuer;
  let verifier: ReturnType<typeof createJwtVerifier>;
  beforeAll(async () => {
    issuer = await createTestIssuer();
    verifier = createJwtVerifier({
      jwks: { keys: [issuer.publicJwk] },
      issuer: TEST_ISSUER,
      audience: TEST_AUDIENCE,
    });
  });

  it('returns the subject and the space-separated capabilities', async () => {
    const principal = await verifier.authorize(
      `Bearer ${await issuer.token({ scope: 'a:b constitution:publish', sub: 'ops' })}`,
      ['constitution:publish'],
    );
    expect(principal.subject).toBe('ops');
    expect([...principal.scopes]).toEqual(['a:b', 'constitution:publish']);
  });

  it('answers 401 for missing, non-Bearer, expired, wrong-issuer or untrusted tokens', async () => {
    expect(await failure(verifier.authorize(undefined, ['x']))).toEqual({
      status: 401,
      code: 'missing_token',
    });
    expect(await failure(verifier.authorize('Basic dXNlcjpwdw==', ['x']))).toEqual({
      status: 401,
      code: 'invalid_token',
    });
    expect(
      await failure(verifier.authorize(`Bearer ${await issuer.token({ expiresIn: -60 })}`, ['x'])),
    ).toMatchObject({
      status: 401,
      code: 'expired',
    });
    expect(await failure(verifier.verify(await issuer.token({ issuer: 'someone-else' })))).toEqual({
      status: 401,
      code: 'invalid_claims',
    });
    const stranger = await createTestIssuer();
    expect((await failure(verifier.verify(await stranger.token()))).status).toBe(401);
  });

  it('answers 403 when the token lacks every accepted capability', async () => {
    const token = await issuer.token({ scope: 'training:manage' });
    expect(
      await failure(verifier.authorize(`Bearer ${token}`, ['constitution:publish', 'constitution:read'])),
    ).toEqual({
      status: 403,
      code: 'insufficient_scope',
    });
  });
});

describe('createJwtVerifier with cacheMs', () => {
  it('verifies a token once, still checks capabilities per call, and never serves a token past exp', async () => {
    const issuer = await createTestIssuer();
    const verifier = createJwtVerifier({
      jwks: { keys: [issuer.publicJwk] },
      issuer: TEST_ISSUER,
      audience: TEST_AUDIENCE,
      cacheMs: 60_000,
      clockToleranceSeconds: 0,
    });
    const token = await issuer.token({ scope: 'capsule:read' });
    const first = await verifier.verify(token);
    // The same principal object: the signature was not checked again.
    expect(await verifier.verify(token)).toBe(first);
    expect(await failure(verifier.authorize(`Bearer ${token}`, ['capsule:run']))).toEqual({
      status: 403,
      code: 'insufficient_scope',
    });
    // A token expiring in 1 s is remembered only until then.
    const shortLived = await issuer.token({ expiresIn: 1 });
    await verifier.verify(shortLived);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await failure(verifier.verify(shortLived))).toMatchObject({ status: 401, code: 'expired' });
    // A forged token is never remembered as valid.
    const stranger = await createTestIssuer();
    const forged = await stranger.token();
    expect((await failure(verifier.verify(forged))).status).toBe(401);
    expect((await failure(verifier.verify(forged))).status).toBe(401);
  });
});
