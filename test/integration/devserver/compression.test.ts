import { status } from '@grpc/grpc-js';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { rejectionOf, startDevServerHarness, type DevServerHarness } from '../../support/devserver';

/** grpc-js's code for gzip in `grpc.default_compression_algorithm`. */
const GRPC_JS_GZIP = 2;

describe('devserver request compression', () => {
  let h: DevServerHarness;

  beforeAll(async () => {
    h = await startDevServerHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('refuses gzip-compressed requests with UNIMPLEMENTED naming the encoding', async () => {
    const connection = await Connection.connect({
      address: h.address,
      channelArgs: { 'grpc.default_compression_algorithm': GRPC_JS_GZIP },
      connectTimeout: 5_000,
    }).catch((err: unknown) => err);
    // The client's own connect check may already fail; else the first call does.
    const err =
      connection instanceof Connection
        ? await rejectionOf(connection.workflowService.getSystemInfo({})).finally(() => connection.close())
        : connection;
    expect(err).toMatchObject({ code: status.UNIMPLEMENTED });
    expect(String((err as Error).message)).toContain('grpc-encoding "gzip" is not supported');
    expect(String((err as Error).message)).toContain('send uncompressed requests');
  });

  it('lets sdk-core, which gzips by default, fall back to uncompressed requests', async () => {
    const connection = await NativeConnection.connect({
      address: h.address,
      grpcCompression: { codec: 'gzip' },
    });
    try {
      const info = await connection.workflowService.getSystemInfo({});
      expect(info.capabilities?.signalAndQueryHeader).toBe(true);
      const namespaces = await connection.workflowService.describeNamespace({ namespace: h.namespace });
      expect(namespaces.namespaceInfo?.name).toBe(h.namespace);
    } finally {
      await connection.close();
    }
  });

  it('answers uncompressed requests from the official client', async () => {
    const info = await h.client.workflowService.getSystemInfo({});
    expect(info.capabilities?.signalAndQueryHeader).toBe(true);
  });
});
