import type { Pool } from 'pg';
import { canonicalJson, contentHash } from '../../capsules/hash';
import { LATEST_SNAPSHOT, type SnapshotRef } from '../../capsules/snapshot-ref';
import type { JsonValue } from '../../workflows/shared/types';

/** One stored version of a memory snapshot. */
export interface MemorySnapshot {
  tenant: string;
  name: string;
  version: string;
  content: JsonValue;
  /** `sha256:<hex>` of the content's canonical JSON. */
  digest: string;
  description: string | null;
  createdBy: string | null;
  createdAt: string;
}

export type SnapshotSummary = Omit<MemorySnapshot, 'content'> & { bytes: number };

export interface PutSnapshotInput {
  tenant: string;
  name: string;
  version: string;
  content: JsonValue;
  description?: string;
  createdBy?: string;
}

/**
 * Snapshots stay small enough to travel in a workflow history (the payload codec offloads the
 * large ones, but a template that inlines a megabyte into every prompt is a mistake anyway).
 */
export const MAX_SNAPSHOT_BYTES = 256 * 1024;

export class SnapshotConflictError extends Error {
  override readonly name = 'SnapshotConflictError';
}

export class SnapshotInputError extends Error {
  override readonly name = 'SnapshotInputError';
}

export interface SnapshotStore {
  /**
   * Stores a version. Versions are immutable: storing the same content again is a no-op
   * (`created: false`), different content under an existing version is a conflict.
   */
  put(input: PutSnapshotInput): Promise<{ snapshot: MemorySnapshot; created: boolean }>;
  /** The version `ref` names (`latest`: the newest stored), or undefined. */
  get(tenant: string, ref: SnapshotRef): Promise<MemorySnapshot | undefined>;
  /** Every stored version of the tenant (of one name when given), newest first. */
  list(tenant: string, name?: string): Promise<SnapshotSummary[]>;
}

interface SnapshotRow {
  tenant: string;
  name: string;
  version: string;
  content: JsonValue;
  digest: string;
  description: string | null;
  created_by: string | null;
  created_at: Date;
}

const COLUMNS = 'tenant, name, version, content, digest, description, created_by, created_at';

function fromRow(row: SnapshotRow): MemorySnapshot {
  return {
    tenant: row.tenant,
    name: row.name,
    version: row.version,
    content: row.content,
    digest: row.digest,
    description: row.description,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
  };
}

export function createSnapshotStore({ pool }: { pool: Pool }): SnapshotStore {
  const get = async (tenant: string, ref: SnapshotRef): Promise<MemorySnapshot | undefined> => {
    const { rows } =
      ref.version === LATEST_SNAPSHOT
        ? await pool.query<SnapshotRow>(
            `SELECT ${COLUMNS} FROM memory_snapshots WHERE tenant = $1 AND name = $2 ORDER BY seq DESC LIMIT 1`,
            [tenant, ref.name],
          )
        : await pool.query<SnapshotRow>(
            `SELECT ${COLUMNS} FROM memory_snapshots WHERE tenant = $1 AND name = $2 AND version = $3`,
            [tenant, ref.name, ref.version],
          );
    return rows[0] ? fromRow(rows[0]) : undefined;
  };

  return {
    get,

    async put(input) {
      if (input.version === LATEST_SNAPSHOT) {
        throw new SnapshotInputError(
          '"latest" names the newest version; store a version label such as a date',
        );
      }
      const json = canonicalJson(input.content);
      const bytes = Buffer.byteLength(json);
      if (bytes > MAX_SNAPSHOT_BYTES) {
        throw new SnapshotInputError(
          `snapshot ${input.name}@${input.version} is ${bytes} bytes; the limit is ${MAX_SNAPSHOT_BYTES} (keep snapshots to what a prompt needs)`,
        );
      }
      const digest = contentHash(input.content);
      const { rows } = await pool.query<SnapshotRow>(
        `INSERT INTO memory_snapshots (tenant, name, version, content, digest, description, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (tenant, name, version) DO NOTHING
         RETURNING ${COLUMNS}`,
        [
          input.tenant,
          input.name,
          input.version,
          json,
          digest,
          input.description ?? null,
          input.createdBy ?? null,
        ],
      );
      if (rows[0]) return { snapshot: fromRow(rows[0]), created: true };
      const existing = await get(input.tenant, { name: input.name, version: input.version });
      if (!existing) throw new Error(`snapshot ${input.name}@${input.version} vanished while it was stored`);
      if (existing.digest !== digest) {
        throw new SnapshotConflictError(
          `snapshot ${input.name}@${input.version} already exists with other content (${existing.digest}); versions are immutable, store a new version`,
        );
      }
      return { snapshot: existing, created: false };
    },

    async list(tenant, name) {
      const { rows } = await pool.query<SnapshotRow & { bytes: number }>(
        `SELECT tenant, name, version, digest, description, created_by, created_at,
                octet_length(content::text) AS bytes
           FROM memory_snapshots
          WHERE tenant = $1 AND ($2::text IS NULL OR name = $2)
          ORDER BY name, seq DESC`,
        [tenant, name ?? null],
      );
      return rows.map((row) => {
        const { content: _content, ...rest } = fromRow({ ...row, content: null });
        return { ...rest, bytes: Number(row.bytes) };
      });
    },
  };
}
