import type { Payload } from '@temporalio/common';
import type { Pool } from 'pg';
import { INPUT_FILE_REF_HINT, INPUT_FILE_REF_PATTERN } from '../../workflows/shared/run-inputs';
import { createPostgresPayloadCodec, PAYLOAD_REF_ENCODING, PayloadBlobMissingError } from './postgres-codec';

/**
 * Files in the payload store: a run's input file given by `{ path, ref }` names a blob of
 * `payload_blobs`, stored as a Temporal `binary/plain` payload through the very codec that moves
 * large payloads out of history. So a file ref is exactly a codec reference: content-addressed
 * (`sha256:<hex>` of the payload's framing, metadata and bytes, not `sha256sum` of the file),
 * checked against its hash on every read, and pruned with the other blobs by
 * `somagent payloads prune` (keep a file's blob as long as runs may still be started with it).
 */

/** Metadata `encoding` of a file blob: raw bytes, Temporal's standard name. */
export const FILE_BLOB_ENCODING = 'binary/plain';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Why a file ref cannot be read as a file (unknown blob, not a file, not UTF-8). */
export class FileBlobError extends Error {
  override readonly name = 'FileBlobError';
  constructor(
    message: string,
    readonly ref: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Stores `content` (the file's bytes) and returns its ref; storing the same bytes again is a no-op. */
export async function putFileBlob({
  pool,
  content,
}: {
  pool: Pool;
  content: Uint8Array;
}): Promise<{ ref: string; bytes: number }> {
  // Threshold 0: the codec stores every payload and hands back its reference.
  const codec = createPostgresPayloadCodec({ pool, thresholdBytes: 0 });
  const payload: Payload = { metadata: { encoding: encoder.encode(FILE_BLOB_ENCODING) }, data: content };
  const [reference] = await codec.encode([payload]);
  const { sha256 } = JSON.parse(decoder.decode(reference!.data)) as { sha256: string };
  return { ref: `sha256:${sha256}`, bytes: content.byteLength };
}

/**
 * The bytes of the file blob `ref`. Throws {@link FileBlobError} for a malformed ref, a blob this
 * database does not hold, or a blob that is not a file (a payload the codec stored for a
 * workflow); {@link PayloadBlobCorruptError} when the stored bytes do not match the hash.
 */
export async function readFileBlob({ pool, ref }: { pool: Pool; ref: string }): Promise<Uint8Array> {
  if (!INPUT_FILE_REF_PATTERN.test(ref)) {
    throw new FileBlobError(`file ref "${ref}" is malformed: expected ${INPUT_FILE_REF_HINT}`, ref);
  }
  const sha256 = ref.slice('sha256:'.length);
  const codec = createPostgresPayloadCodec({ pool });
  // `size` is informational in a reference; decoding looks the blob up by its hash alone.
  const reference: Payload = {
    metadata: { encoding: encoder.encode(PAYLOAD_REF_ENCODING) },
    data: encoder.encode(JSON.stringify({ sha256, size: 0 })),
  };
  let payload: Payload;
  try {
    [payload] = (await codec.decode([reference])) as [Payload];
  } catch (err) {
    if (err instanceof PayloadBlobMissingError) {
      throw new FileBlobError(
        `file ref ${ref} is not in the payload store (payload_blobs): put the file with ` +
          '`somagent payloads put <file>` against the same DATABASE_URL as the worker (or was it pruned?)',
        ref,
        { cause: err },
      );
    }
    throw err;
  }
  const encoding = payload.metadata?.encoding ? decoder.decode(payload.metadata.encoding) : '(none)';
  if (encoding !== FILE_BLOB_ENCODING) {
    throw new FileBlobError(
      `file ref ${ref} names a stored ${encoding} payload, not a file; put files with \`somagent payloads put <file>\``,
      ref,
    );
  }
  return payload.data ?? new Uint8Array();
}

/** `bytes` as UTF-8 text, or undefined when they are not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
