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
 * (`payload_blobs`, content-addressed by SHA-256 of the serialized payload) and puts a small
 * reference payload in their place. Runs in clients and workers (never in the workflow sandbox).
 * Inserts are idempotent, so the same payload encoded twice is stored once.
 */
export function createPostgresPayloadCodec({
  pool,
  thresholdBytes = DEFAULT_PAYLOAD_THRESHOLD_BYTES,
}: PostgresPayloadCodecOptions): PayloadCodec {
  return {
    async encode(payloads) {
      const blobs = new Map<string, Buffer>();
      const out = payloads.map((payload): Payload => {
        if (encodingOf(payload) === PAYLOAD_REF_ENCODING) return payload;
        const bytes = Buffer.from(ProtoPayload.encode(payload).finish());
        if (bytes.length <= thresholdBytes) return payload;
        const sha256 = createHash('sha256').update(bytes).digest('hex');
        blobs.set(sha256, bytes);
        const ref: PayloadRef = { sha256, size: bytes.length };
        return { metadata: { encoding: REF_ENCODING_BYTES }, data: encoder.encode(JSON.stringify(ref)) };
      });
      if (blobs.size > 0) {
        const hashes = [...blobs.keys()];
        await pool.query(
          `INSERT INTO payload_blobs (sha256, payload, size_bytes)
           SELECT decode(h, 'hex'), p, octet_length(p) FROM unnest($1::text[], $2::bytea[]) AS t(h, p)
           ON CONFLICT (sha256) DO NOTHING`,
          [hashes, hashes.map((h) => blobs.get(h)!)],
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
      const { rows } = await pool.query<{ sha256: string; payload: Buffer }>(
        `SELECT encode(sha256, 'hex') AS sha256, payload FROM payload_blobs WHERE sha256 = ANY($1::bytea[])`,
        [wanted.map((h) => Buffer.from(h, 'hex'))],
      );
      const found = new Map(rows.map((r) => [r.sha256, r.payload]));
      const missing = wanted.filter((h) => !found.has(h));
      if (missing.length > 0) throw new PayloadBlobMissingError(missing);
      for (const [sha256, bytes] of found) {
        if (createHash('sha256').update(bytes).digest('hex') !== sha256)
          throw new PayloadBlobCorruptError(sha256);
      }
      return payloads.map((payload, i) => {
        const ref = refs[i];
        if (!ref) return payload;
        const restored = ProtoPayload.decode(found.get(ref.sha256)!);
        return { metadata: restored.metadata, data: restored.data };
      });
    },
  };
}
