import { CompactSign, importJWK } from 'jose';
import {
  canonicalize,
  ConstitutionSignatureError,
  createTrustStore,
  DEFAULT_CONSTITUTION,
  generateSigningKey,
  signConstitution,
  verifyConstitution,
  type SignatureProblem,
  type SigningKeyPair,
} from '../../../constitution';

async function problemOf(promise: Promise<unknown>): Promise<SignatureProblem> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ConstitutionSignatureError);
    return (err as ConstitutionSignatureError).problem;
  }
  throw new Error('expected verification to fail');
}

function b64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

describe('signing and verification', () => {
  let signer: SigningKeyPair;
  let other: SigningKeyPair;

  beforeAll(async () => {
    signer = await generateSigningKey();
    other = await generateSigningKey();
  });

  const trust = () => createTrustStore({ keys: [signer.publicJwk] });

  it('round-trips: the verified document is the signed one, hash included', async () => {
    const jws = await signConstitution(DEFAULT_CONSTITUTION, { privateJwk: signer.privateJwk });
    const verified = await verifyConstitution(jws, trust(), { currentVersion: 0 });
    expect(verified.document).toEqual(DEFAULT_CONSTITUTION);
    expect(verified.canonical).toBe(canonicalize(DEFAULT_CONSTITUTION));
    expect(verified.kid).toBe(signer.kid);
    expect(verified.hash).toMatch(/^sha256:/);
    expect(verified.expiresAt.getTime()).toBeGreaterThan(Date.now());
  });

  it('rejects a tampered document', async () => {
    const jws = await signConstitution(DEFAULT_CONSTITUTION, { privateJwk: signer.privateJwk });
    const [header, , signature] = jws.split('.');
    const tampered = canonicalize({ ...DEFAULT_CONSTITUTION, threshold: 0.1, reviewThreshold: 0.05 });
    expect(await problemOf(verifyConstitution(`${header}.${b64url(tampered)}.${signature}`, trust()))).toBe(
      'bad_signature',
    );
  });

  it('rejects a signature by a key outside the trust store', async () => {
    const jws = await signConstitution(DEFAULT_CONSTITUTION, { privateJwk: other.privateJwk });
    expect(await problemOf(verifyConstitution(jws, trust()))).toBe('unknown_key');
  });

  it('rejects a signature by the wrong key under a trusted kid', async () => {
    const jws = await signConstitution(DEFAULT_CONSTITUTION, {
      privateJwk: other.privateJwk,
      kid: signer.kid,
    });
    expect(await problemOf(verifyConstitution(jws, trust()))).toBe('bad_signature');
  });

  it('rejects an expired signature', async () => {
    const jws = await signConstitution(DEFAULT_CONSTITUTION, {
      privateJwk: signer.privateJwk,
      issuedAt: new Date(Date.now() - 7200_000),
      lifetimeSeconds: 3600,
    });
    expect(await problemOf(verifyConstitution(jws, trust()))).toBe('expired');
    // Re-loading an already accepted version may skip expiry, but never the signature.
    await expect(verifyConstitution(jws, trust(), { acceptExpired: true })).resolves.toMatchObject({
      kid: signer.kid,
    });
  });

  it('rejects rollback: a version not above the current one', async () => {
    const jws = await signConstitution(
      { ...DEFAULT_CONSTITUTION, version: 3 },
      { privateJwk: signer.privateJwk },
    );
    expect(await problemOf(verifyConstitution(jws, trust(), { currentVersion: 3 }))).toBe('rollback');
    expect(await problemOf(verifyConstitution(jws, trust(), { currentVersion: 4 }))).toBe('rollback');
    await expect(verifyConstitution(jws, trust(), { currentVersion: 2 })).resolves.toMatchObject({
      document: { version: 3 },
    });
  });

  it('rejects a validly signed but invalid or non-canonical document', async () => {
    const key = await importJWK(signer.privateJwk, 'EdDSA');
    const sign = (payload: string) =>
      new CompactSign(new TextEncoder().encode(payload))
        .setProtectedHeader({
          alg: 'EdDSA',
          kid: signer.kid,
          typ: 'somagent-constitution+jws',
          iat: Math.floor(Date.now() / 1000),
          exp: Math.floor(Date.now() / 1000) + 60,
          crit: ['exp'],
        })
        .sign(key, { crit: { exp: true } });
    const invalid = canonicalize({ ...DEFAULT_CONSTITUTION, threshold: 2 });
    expect(await problemOf(verifyConstitution(await sign(invalid), trust()))).toBe('invalid_document');
    const pretty = JSON.stringify(DEFAULT_CONSTITUTION, null, 2);
    expect(await problemOf(verifyConstitution(await sign(pretty), trust()))).toBe('malformed');
  });

  it('rejects garbage and signatures without the constitution typ', async () => {
    expect(await problemOf(verifyConstitution('not-a-jws', trust()))).toBe('malformed');
  });

  it('refuses private keys in a trust store', () => {
    expect(() => createTrustStore({ keys: [signer.privateJwk] })).toThrow(/private member "d"/);
  });
});
