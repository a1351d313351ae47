import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

/** Metadata `encoding` of a reference payload that stands in for one stored in Postgres. */
export const PAYLOAD_REF_ENCODING = 'binary/somagent-payload-ref';

/** Payloads above this many serialized bytes leave workflow history. @default 131072 (128 KiB) */
export const DEFAULT_PAYLOAD_THRESHOLD_BYTES = 128 * 1024;

/** A reference names a blob that is not in the store (deleted, or another database). */
export class PayloadBlobMissingError extends Error {
  override readonly name = 'PayloadBlobMissingError';
  constructor(readonly sha256: string[]) {
    super(
      `payload blob(s) not found in payload_blobs: ${sha256.join(', ')}; the history references payloads ` +
        `this database does not hold (was payload_blobs pruned, or is the worker on another database?)`,
    );
  }
}

/** A stored blob's bytes do not hash to its key (corruption). */
export class PayloadBlobCorruptError extends Error {
  override readonly name = 'PayloadBlobCorruptError';
  constructor(readonly sha256: string) {
    super(`payload blob ${sha256} does not match its SHA-256: the row was altered`);
  }
}

interface PayloadRef {
  sha256: string;
  size: number;
}

const ProtoPayload = temporal.api.common.v1.Payload;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const REF_ENCODING_BYTES = encoder.encode(PAYLOAD_REF_ENCODING);

/** Metadata alone, protobuf-encoded: small, and byte-for-byte stable for equal maps. */
function encodeMetadata(payload: Payload): Buffer {
  const sorted: Record<string, Uint8Array> = {};
  for (const key of Object.keys(payload.metadata ?? {}).sort()) sorted[key] = payload.metadata![key]!;
  return Buffer.from(ProtoPayload.encode({ metadata: sorted }).finish());
}

/**
 * The payload's bytes. Usually a Uint8Array (wrapped without copying), but the worker hands some
 * payloads over as a plain byte array: a workflow's void result arrives as `binary/null` with
 * `data: []`.
 */
function toBuffer(data: Uint8Array | ArrayLike<number> | null | undefined): Buffer {
  if (!data) return Buffer.alloc(0);
  return ArrayBuffer.isView(data)
    ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    : Buffer.from(Array.from(data));
}

/** SHA-256 over the metadata's length, the metadata, and the data (unambiguous framing). */
function digest(metadata: Buffer, data: Buffer): string {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(metadata.length);
  return createHash('sha256').update(length).update(metadata).update(data).digest('hex');
}

function encodingOf(payload: Payload): string | undefined {
  const raw = payload.metadata?.encoding;
  return raw ? decoder.decode(raw) : undefined;
}

export interface PostgresPayloadCodecOptions {
  pool: Pool;
  /** Serialized size (metadata + data) above which a payload is stored out of history. */
  thresholdBytes?: number;
}

/**
 * A `PayloadCodec` that moves large payloads out of workflow history into Postgres
 * (`payload_blobs`, content-addressed by SHA-256 of its metadata and data) and puts a small
 * reference payload in their place. Runs in clients and workers (never in the workflow sandbox).
 * Inserts are idempotent, so the same payload encoded twice is stored once.
 */
export function createPostgresPayloadCodec({
  pool,
  thresholdBytes = DEFAULT_PAYLOAD_THRESHOLD_BYTES,
}: PostgresPayloadCodecOptions): PayloadCodec {
  return {
    async encode(payloads) {
      const blobs = new Map<string, { metadata: Buffer; data: Buffer }>();
      const out = payloads.map((payload): Payload => {
        if (encodingOf(payload) === PAYLOAD_REF_ENCODING) return payload;
        const metadata = encodeMetadata(payload);
        const data = toBuffer(payload.data);
        const size = metadata.length + data.length;
        if (size <= thresholdBytes) return payload;
        const sha256 = digest(metadata, data);
        blobs.set(sha256, { metadata, data });
        const ref: PayloadRef = { sha256, size };
        return { metadata: { encoding: REF_ENCODING_BYTES }, data: encoder.encode(JSON.stringify(ref)) };
      });
      for (const [sha256, blob] of blobs) {
        // One row per statement: a bytea parameter travels as is, while bytea arrays are
        // hex-escaped text (several times slower for megabytes).
        await pool.query(
          `INSERT INTO payload_blobs (sha256, metadata, data, size_bytes) VALUES ($1, $2, $3, $4)
           ON CONFLICT (sha256) DO NOTHING`,
          [Buffer.from(sha256, 'hex'), blob.metadata, blob.data, blob.metadata.length + blob.data.length],
        );
      }
      return out;
    },

    async decode(payloads) {
      const refs = payloads.map((payload) =>
        encodingOf(payload) === PAYLOAD_REF_ENCODING
          ? (JSON.parse(decoder.decode(payload.data ?? new Uint8Array())) as PayloadRef)
          : undefined,
      );
      const wanted = [...new Set(refs.flatMap((r) => (r ? [r.sha256] : [])))];
      if (wanted.length === 0) return payloads;
      const { rows } = await pool.query<{ sha256: string; metadata: Buffer; data: Buffer }>(
        `SELECT encode(sha256, 'hex') AS sha256, metadata, data FROM payload_blobs WHERE sha256 = ANY($1::bytea[])`,
        [wanted.map((h) => Buffer.from(h, 'hex'))],
      );
      const found = new Map(rows.map((r) => [r.sha256, r]));
      const missing = wanted.filter((h) => !found.has(h));
      if (missing.length > 0) throw new PayloadBlobMissingError(missing);
      for (const [sha256, row] of found) {
        if (digest(row.metadata, row.data) !== sha256) throw new PayloadBlobCorruptError(sha256);
      }
      return payloads.map((payload, i) => {
        const ref = refs[i];
        if (!ref) return payload;
        const row = found.get(ref.sha256)!;
        return { metadata: ProtoPayload.decode(row.metadata).metadata, data: row.data };
      });
    },
  };
}

/**
 * Deletes blobs stored before `olderThan`. Run it with a margin beyond the namespace's history
 * retention (plus the longest-running workflow): a blob is needed as long as any history, open
 * or retained, references it. Returns the number of blobs deleted.
 */
export async function prunePayloadBlobs({
  pool,
  olderThan,
}: {
  pool: Pool;
  olderThan: Date;
}): Promise<number> {
  const res = await pool.query('DELETE FROM payload_blobs WHERE created_at < $1', [olderThan]);
  return res.rowCount ?? 0;
}
