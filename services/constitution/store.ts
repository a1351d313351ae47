import type { Pool, PoolClient } from 'pg';
import type { ConstitutionDocument, VerifiedConstitution } from '../../constitution';
import { appendToOutbox, type EventEnvelope } from '../events';
import { withTransaction } from '../postgres';
import { VersionConflictError } from './errors';

/** Summary of a published version. */
export interface VersionSummary {
  version: number;
  label: string;
  hash: string;
  signerKid: string;
  signedAt: string;
  expiresAt: string;
  publishedBy: string;
  publishedAt: string;
}

/** A published version with its document and signed form. */
export interface StoredVersion extends VersionSummary {
  document: ConstitutionDocument;
  jws: string;
}

/** Event type written to the outbox when a version is published. */
export const CONSTITUTION_UPDATED = 'constitution.updated';
/** Tenant of platform-wide constitution events. */
export const ALL_TENANTS = '*';

/** Postgres persistence of constitution versions. */
export interface ConstitutionStore {
  current(): Promise<StoredVersion | null>;
  currentVersion(): Promise<number>;
  get(version: number): Promise<StoredVersion | null>;
  history(options?: { limit?: number; before?: number }): Promise<VersionSummary[]>;
  /**
   * Stores a verified version and writes `constitution.updated` to the outbox in the same
   * transaction. Publishers are serialised by a transaction-scoped advisory lock, so two
   * concurrent publishes cannot both pass the version check.
   *
   * @throws {VersionConflictError} when the version does not exceed the stored maximum.
   */
  publish(
    verified: VerifiedConstitution,
    jws: string,
    publishedBy: string,
  ): Promise<{ stored: StoredVersion; event: EventEnvelope }>;
}

/** Key of the advisory lock that serialises publishes ("CONS"). */
const PUBLISH_LOCK_ID = 0x43_4f_4e_53;

const COLUMNS = `version, label, hash, document, jws, signer_kid, signed_at, expires_at, published_by, published_at`;

interface Row {
  version: number;
  label: string;
  hash: string;
  document: ConstitutionDocument;
  jws: string;
  signer_kid: string;
  signed_at: Date;
  expires_at: Date;
  published_by: string;
  published_at: Date;
}

function toSummary(row: Omit<Row, 'document' | 'jws'>): VersionSummary {
  return {
    version: row.version,
    label: row.label,
    hash: row.hash,
    signerKid: row.signer_kid,
    signedAt: row.signed_at.toISOString(),
    expiresAt: row.expires_at.toISOString(),
    publishedBy: row.published_by,
    publishedAt: row.published_at.toISOString(),
  };
}

function toStored(row: Row): StoredVersion {
  return { ...toSummary(row), document: row.document, jws: row.jws };
}

/** Builds the store over an injected pool. */
export function createConstitutionStore(pool: Pool): ConstitutionStore {
  return {
    async current() {
      const { rows } = await pool.query<Row>(
        `SELECT ${COLUMNS} FROM constitution_versions ORDER BY version DESC LIMIT 1`,
      );
      return rows[0] ? toStored(rows[0]) : null;
    },
    async currentVersion() {
      return maxVersion(pool);
    },
    async get(version) {
      const { rows } = await pool.query<Row>(
        `SELECT ${COLUMNS} FROM constitution_versions WHERE version = $1`,
        [version],
      );
      return rows[0] ? toStored(rows[0]) : null;
    },
    async history({ limit = 50, before } = {}) {
      const { rows } = await pool.query<Row>(
        `SELECT version, label, hash, signer_kid, signed_at, expires_at, published_by, published_at
           FROM constitution_versions WHERE ($1::int IS NULL OR version < $1)
          ORDER BY version DESC LIMIT $2`,
        [before ?? null, limit],
      );
      return rows.map(toSummary);
    },
    async publish(verified, jws, publishedBy) {
      return withTransaction(pool, async (client) => {
        await client.query('SELECT pg_advisory_xact_lock($1)', [PUBLISH_LOCK_ID]);
        const current = await maxVersion(client);
        if (verified.compiled.version <= current)
          throw new VersionConflictError(verified.compiled.version, current);
        const { rows } = await client.query<Row>(
          `INSERT INTO constitution_versions (version, label, hash, document, jws, signer_kid, signed_at, expires_at, published_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${COLUMNS}`,
          [
            verified.compiled.version,
            verified.compiled.label,
            verified.hash,
            verified.canonical,
            jws,
            verified.kid,
            verified.issuedAt,
            verified.expiresAt,
            publishedBy,
          ],
        );
        const stored = toStored(rows[0]!);
        // Workers hot-reload from this event and verify the JWS themselves: it carries the signed
        // form, never anything secret.
        const event = await appendToOutbox(client, {
          type: CONSTITUTION_UPDATED,
          source: 'somagent/constitution',
          tenant: ALL_TENANTS,
          subject: 'constitution',
          data: {
            version: stored.version,
            label: stored.label,
            hash: stored.hash,
            previousVersion: current === 0 ? null : current,
            signerKid: stored.signerKid,
            publishedBy,
            publishedAt: stored.publishedAt,
            jws,
          },
        });
        return { stored, event };
      });
    },
  };
}

async function maxVersion(client: Pool | PoolClient): Promise<number> {
  const { rows } = await client.query<{ max: number | null }>(
    'SELECT max(version) AS max FROM constitution_versions',
  );
  return rows[0]?.max ?? 0;
}
