import type { Pool } from 'pg';
import {
  ConstitutionSignatureError,
  type TrustStore,
  type VerifiedConstitution,
  verifyConstitution,
} from '../../constitution';
import type { EventEnvelope } from '../events';
import { CONSTITUTION_UPDATED, createConstitutionStore } from './store';

/**
 * For gates (workers) that hold the constitution in memory: load the version in force straight
 * from Postgres, the system of record, and re-verify its signature with the gate's own trust
 * store. Expiry is not checked here: the version was accepted when it was published and must not
 * stop gating the day its signature expires.
 *
 * @returns null when nothing has been published yet.
 * @throws {ConstitutionSignatureError} when the stored JWS does not verify (tampered row, key
 *   removed from the trust store).
 */
export async function loadCurrentConstitution({
  pool,
  trustStore,
}: {
  pool: Pool;
  trustStore: TrustStore;
}): Promise<VerifiedConstitution | null> {
  const stored = await createConstitutionStore(pool).current();
  if (!stored) return null;
  return verifyConstitution(stored.jws, trustStore, { acceptExpired: true });
}

/**
 * Hot reload from a `constitution.updated` event: verifies the JWS the event carries and returns
 * the new version, or null when the event is not about a newer version (replays and duplicates
 * are normal on an at-least-once topic).
 *
 * @throws {ConstitutionSignatureError} when the JWS does not verify or does not match the event's hash.
 */
export async function verifyConstitutionUpdate(
  event: EventEnvelope,
  trustStore: TrustStore,
  currentVersion: number,
): Promise<VerifiedConstitution | null> {
  if (event.type !== CONSTITUTION_UPDATED) return null;
  const { version, jws, hash } = event.data as { version?: unknown; jws?: unknown; hash?: unknown };
  if (typeof version === 'number' && version <= currentVersion) return null;
  if (typeof jws !== 'string') return null;
  const verified = await verifyConstitution(jws, trustStore, { acceptExpired: true });
  if (verified.compiled.version <= currentVersion) return null;
  if (typeof hash === 'string' && hash !== verified.hash) {
    throw new ConstitutionSignatureError(
      'malformed',
      `event hash ${hash} does not match the signed document ${verified.hash}`,
    );
  }
  return verified;
}
