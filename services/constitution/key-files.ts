import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { JSONWebKeySet, JWK } from 'jose';
import type { SigningKeyPair } from '../../constitution';

/** Where `keygen` puts keys by default, under the git-ignored data dir. */
export function defaultKeyDir(dataDir: string): string {
  return path.join(dataDir, 'constitution', 'keys');
}

/** File names of a key pair called `name` in `dir`. */
export function keyPaths(dir: string, name: string): { privateKey: string; jwks: string } {
  return {
    privateKey: path.join(dir, `${name}.private.jwk.json`),
    jwks: path.join(dir, `${name}.jwks.json`),
  };
}

/** A key pair's files already exist and `force` was not given. */
export class KeyExistsError extends Error {
  override readonly name = 'KeyExistsError';

  constructor(readonly file: string) {
    super(`${file} already exists; pass --force to replace it (signatures by the old key stop verifying)`);
  }
}

/**
 * Writes the private JWK (mode 0600: it is a secret) and a public JWKS next to it.
 *
 * @throws {KeyExistsError} unless `force`, when the private key file exists.
 */
export async function writeKeyPair(
  dir: string,
  name: string,
  pair: SigningKeyPair,
  { force = false }: { force?: boolean } = {},
): Promise<{ privateKey: string; jwks: string }> {
  const files = keyPaths(dir, name);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(files.privateKey, `${JSON.stringify(pair.privateJwk, null, 2)}\n`, {
    mode: 0o600,
    flag: force ? 'w' : 'wx',
  }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EEXIST') throw new KeyExistsError(files.privateKey);
    throw err;
  });
  await chmod(files.privateKey, 0o600);
  const jwks: JSONWebKeySet = { keys: [pair.publicJwk] };
  await writeFile(files.jwks, `${JSON.stringify(jwks, null, 2)}\n`);
  return files;
}

/** Reads a private JWK file and derives its public half. */
export async function readKeyPair(privateKeyFile: string): Promise<SigningKeyPair> {
  const privateJwk = JSON.parse(await readFile(privateKeyFile, 'utf8')) as JWK;
  if (typeof privateJwk.d !== 'string' || typeof privateJwk.kid !== 'string') {
    throw new Error(`${privateKeyFile}: expected a private Ed25519 JWK with "d" and "kid"`);
  }
  return { kid: privateJwk.kid, privateJwk, publicJwk: publicHalf(privateJwk) };
}

/** The public members of a JWK. */
export function publicHalf(jwk: JWK): JWK {
  const {
    d: _d,
    p: _p,
    q: _q,
    dp: _dp,
    dq: _dq,
    qi: _qi,
    k: _k,
    ...rest
  } = jwk as JWK & Record<string, unknown>;
  return rest;
}
