import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import {
  decodeFromPayloadsAtIndex,
  encodeToPayloads,
  loadDataConverter,
} from '@temporalio/common/lib/internal-non-workflow';
import {
  createPostgresPayloadCodec,
  PAYLOAD_REF_ENCODING,
  PayloadBlobCorruptError,
  createDataConverter,
  PayloadBlobMissingError,
  prunePayloadBlobs,
} from '../../../../services/payloads';
import { testPool } from '../../../support/pg';

const encodingOf = (p: Payload) => new TextDecoder().decode(p.metadata!.encoding);

describe('Postgres payload codec (real Postgres)', () => {
  const pool = testPool();
  const codec = createPostgresPayloadCodec({ pool, thresholdBytes: 1024 });
  afterAll(() => pool.end());

  const big = () => ({ text: randomBytes(4096).toString('base64'), n: 1 });

  it('round-trips a large payload through a small reference', async () => {
    const value = big();
    const payload = defaultPayloadConverter.toPayload(value);
    const [encoded] = await codec.encode([payload]);
    expect(encodingOf(encoded!)).toBe(PAYLOAD_REF_ENCODING);
    expect(encoded!.data!.length).toBeLessThan(200);
    const ref = JSON.parse(new TextDecoder().decode(encoded!.data));
    const { rows } = await pool.query(
      "SELECT size_bytes FROM payload_blobs WHERE sha256 = decode($1, 'hex')",
      [ref.sha256],
    );
    expect(rows[0].size_bytes).toBe(ref.size);
    const [decoded] = await codec.decode([encoded!]);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual(value);
    expect(Buffer.from(decoded!.data!).equals(Buffer.from(payload.data!))).toBe(true);
    expect(encodingOf(decoded!)).toBe('json/plain');
  });

  it('leaves payloads at or under the threshold in place, and handles mixed batches in order', async () => {
    const small = defaultPayloadConverter.toPayload({ hi: 'there' });
    const large = defaultPayloadConverter.toPayload(big());
    const encoded = await codec.encode([small, large, small]);
    expect(encoded[0]).toBe(small);
    expect(encoded[2]).toBe(small);
    expect(encodingOf(encoded[1]!)).toBe(PAYLOAD_REF_ENCODING);
    const decoded = await codec.decode(encoded);
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([
      { hi: 'there' },
      defaultPayloadConverter.fromPayload(large),
      { hi: 'there' },
    ]);
  });

  it('stores identical payloads once (content-addressed, idempotent insert)', async () => {
    const payload = defaultPayloadConverter.toPayload(big());
    const [a] = await codec.encode([payload]);
    const [b, c] = await Promise.all([codec.encode([payload]), codec.encode([payload, payload])]).then(
      ([x, y]) => [x[0], y[1]],
    );
    expect(b!.data).toEqual(a!.data);
    expect(c!.data).toEqual(a!.data);
    const ref = JSON.parse(new TextDecoder().decode(a!.data));
    const { rows } = await pool.query(
      "SELECT count(*)::int AS n FROM payload_blobs WHERE sha256 = decode($1, 'hex')",
      [ref.sha256],
    );
    expect(rows[0].n).toBe(1);
  });

  it('accepts payload data as a plain byte array, as the worker hands over a void workflow result', async () => {
    const voidResult = { metadata: { encoding: new TextEncoder().encode('binary/null') }, data: [] };
    const [kept] = await codec.encode([voidResult as unknown as Payload]);
    expect(kept).toBe(voidResult);
    const bytes = randomBytes(2048);
    const large = {
      metadata: { encoding: new TextEncoder().encode('binary/plain') },
      data: Array.from(bytes),
    } as unknown as Payload;
    const [ref] = await codec.encode([large]);
    expect(encodingOf(ref!)).toBe(PAYLOAD_REF_ENCODING);
    const [decoded] = await codec.decode([ref!]);
    expect(Buffer.from(decoded!.data!).equals(bytes)).toBe(true);
  });

  it('does not re-encode a reference', async () => {
    const [ref] = await codec.encode([defaultPayloadConverter.toPayload(big())]);
    const [again] = await codec.encode([ref!]);
    expect(again).toBe(ref);
  });

  it('a missing blob fails decode with an error naming the hash', async () => {
    const [ref] = await codec.encode([defaultPayloadConverter.toPayload(big())]);
    const { sha256 } = JSON.parse(new TextDecoder().decode(ref!.data));
    await pool.query("DELETE FROM payload_blobs WHERE sha256 = decode($1, 'hex')", [sha256]);
    const err = await codec.decode([ref!]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PayloadBlobMissingError);
    expect((err as Error).message).toContain(sha256);
  });

  it('detects a blob whose bytes were altered', async () => {
    const [ref] = await codec.encode([defaultPayloadConverter.toPayload(big())]);
    const { sha256 } = JSON.parse(new TextDecoder().decode(ref!.data));
    await pool.query(
      "UPDATE payload_blobs SET data = data || '\\x00'::bytea WHERE sha256 = decode($1, 'hex')",
      [sha256],
    );
    await expect(codec.decode([ref!])).rejects.toBeInstanceOf(PayloadBlobCorruptError);
  });

  it('round-trips a 1 MB binary payload', async () => {
    const bytes = randomBytes(1024 * 1024);
    const payload = defaultPayloadConverter.toPayload(new Uint8Array(bytes));
    const [decoded] = await codec.decode(await codec.encode([payload]));
    // Buffer#equals: jest's deep equality walks a megabyte element by element.
    expect(Buffer.from(defaultPayloadConverter.fromPayload<Uint8Array>(decoded!)).equals(bytes)).toBe(true);
  });

  it('prunes blobs older than a cut-off and keeps newer ones', async () => {
    const [old] = await codec.encode([defaultPayloadConverter.toPayload(big())]);
    const oldRef = JSON.parse(new TextDecoder().decode(old!.data));
    await pool.query(
      "UPDATE payload_blobs SET created_at = now() - interval '40 days' WHERE sha256 = decode($1, 'hex')",
      [oldRef.sha256],
    );
    const [fresh] = await codec.encode([defaultPayloadConverter.toPayload(big())]);
    const deleted = await prunePayloadBlobs({ pool, olderThan: new Date(Date.now() - 30 * 86_400_000) });
    expect(deleted).toBeGreaterThanOrEqual(1);
    await expect(codec.decode([old!])).rejects.toBeInstanceOf(PayloadBlobMissingError);
    expect(await codec.decode([fresh!])).toHaveLength(1);
  });

  it('plugs into the SDK data converter pipeline that clients and workers use', async () => {
    const converter = loadDataConverter(createDataConverter({ pool, thresholdBytes: 2048 }));
    const input = { capsule: 'docs@1.0.0', context: 'x'.repeat(10_000) };
    const payloads = await encodeToPayloads(converter, input, 'small');
    expect(payloads!.map(encodingOf)).toEqual([PAYLOAD_REF_ENCODING, 'json/plain']);
    expect(await decodeFromPayloadsAtIndex(converter, 0, payloads)).toEqual(input);
    expect(await decodeFromPayloadsAtIndex(converter, 1, payloads)).toBe('small');
  });
});
