import type { Pool } from 'pg';
import type { DataConverter } from '@temporalio/common';
import { createPostgresPayloadCodec } from './postgres-codec';

/**
 * The data converter every Temporal client and worker of one deployment must share, so that a
 * reference written by one can be read by the others. Pass it as `dataConverter` to
 * `Worker.create` and to `new Client(...)`.
 */
export function createDataConverter({
  pool,
  thresholdBytes,
}: {
  pool: Pool;
  thresholdBytes?: number;
}): DataConverter {
  return { payloadCodecs: [createPostgresPayloadCodec({ pool, thresholdBytes })] };
}
