import { access } from 'node:fs/promises';
import {
  DEFAULT_CONSTITUTION,
  generateSigningKey,
  signConstitution,
  type SigningKeyPair,
  type TrustStore,
  verifyConstitution,
} from '../../constitution';
import type { Logger } from '../logger';
import { defaultKeyDir, keyPaths, readKeyPair, writeKeyPair } from './key-files';
import type { ConstitutionStore, StoredVersion } from './store';

/** Name of the development signing key under `<dataDir>/constitution/keys/`. */
export const DEV_KEY_NAME = 'dev';

/**
 * The local development signing key: read from the git-ignored data dir, generated there on first
 * use. Never used in production (main.ts refuses), never committed.
 */
export async function loadOrCreateDevSigningKey({
  dataDir,
  logger,
}: {
  dataDir: string;
  logger: Logger;
}): Promise<SigningKeyPair> {
  const dir = defaultKeyDir(dataDir);
  const files = keyPaths(dir, DEV_KEY_NAME);
  try {
    await access(files.privateKey);
    return await readKeyPair(files.privateKey);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const pair = await generateSigningKey();
  await writeKeyPair(dir, DEV_KEY_NAME, pair);
  logger.info({ kid: pair.kid, file: files.jwks }, 'generated a development constitution signing key');
  return pair;
}

/**
 * At first start (no version stored yet), signs the shipped default constitution with `key` and
 * publishes it as version 1 — through the same verification path as any publish.
 *
 * @returns the stored version, or null when one already existed.
 */
export async function publishDefaultIfEmpty({
  store,
  trustStore,
  key,
  logger,
}: {
  store: ConstitutionStore;
  trustStore: TrustStore;
  key: SigningKeyPair;
  logger: Logger;
}): Promise<StoredVersion | null> {
  if ((await store.currentVersion()) > 0) return null;
  const jws = await signConstitution(DEFAULT_CONSTITUTION, { privateJwk: key.privateJwk });
  const verified = await verifyConstitution(jws, trustStore, { currentVersion: 0 });
  const { stored } = await store.publish(verified, jws, `bootstrap:${key.kid}`);
  logger.info({ version: stored.version, hash: stored.hash }, 'published the default constitution');
  return stored;
}
