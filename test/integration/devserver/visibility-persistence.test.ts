import { Client, Connection } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { startDevServer, type DevServer } from '../../../services/devserver';
import { createLogger } from '../../../services/logger';
import { createTestDatabase } from '../../support/postgres';

const { IndexedValueType } = temporal.api.enums.v1;

// A pristine database of its own: other devserver tests share the run's database, and a server
// started here must recover only what this file wrote.
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let server: DevServer | undefined;
let connection: Connection | undefined;

async function start(): Promise<{ client: Client; connection: Connection }> {
  server = await startDevServer({
    port: 0,
    persistence: { kind: 'postgres', url: db.url },
    logger: createLogger({ level: 'warn', name: 'devserver-test' }),
  });
  connection = await Connection.connect({ address: server.address });
  return { client: new Client({ connection, namespace: 'default' }), connection };
}

async function stop(): Promise<void> {
  await connection?.close();
  await server?.stop();
  connection = undefined;
  server = undefined;
}

beforeAll(async () => {
  db = await createTestDatabase('devserver_vis');
});
afterAll(async () => {
  await stop();
  await db?.drop();
});

const AUTO_KEY = defineSearchAttributeKey('VisAutoRegistered', SearchAttributeType.INT);

describe('search attributes on PostgreSQL', () => {
  it('keeps registered and auto-registered attributes, and the runs they index, across a restart', async () => {
    let { client, connection: conn } = await start();
    await conn.operatorService.addSearchAttributes({
      namespace: 'default',
      searchAttributes: {
        VisRegion: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
        VisScore: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
      },
    });
    await conn.operatorService.removeSearchAttributes({
      namespace: 'default',
      searchAttributes: ['CustomBoolField'],
    });
    // An attribute nobody registered, first seen on a start request, is indexed with its type.
    const handle = await client.workflow.start('notPolledWorkflow', {
      taskQueue: 'nobody-polls',
      workflowId: 'vis-persist-1',
      typedSearchAttributes: [{ key: AUTO_KEY, value: 7 }],
    });
    expect(
      (await conn.operatorService.listSearchAttributes({ namespace: 'default' })).customAttributes,
    ).toMatchObject({ VisAutoRegistered: IndexedValueType.INDEXED_VALUE_TYPE_INT });
    await stop();

    ({ client, connection: conn } = await start());
    const listed = await conn.operatorService.listSearchAttributes({ namespace: 'default' });
    expect(listed.customAttributes).toMatchObject({
      VisRegion: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      VisScore: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
      VisAutoRegistered: IndexedValueType.INDEXED_VALUE_TYPE_INT,
      CustomKeywordField: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    });
    expect(listed.customAttributes).not.toHaveProperty('CustomBoolField');
    expect((await conn.workflowService.getClusterInfo({})).persistenceStore).toBe('postgres12');

    const found: string[] = [];
    for await (const info of client.workflow.list({ query: 'VisAutoRegistered >= 7' })) {
      found.push(info.runId);
      expect(info.typedSearchAttributes.get(AUTO_KEY)).toBe(7);
    }
    expect(found).toEqual([handle.firstExecutionRunId]);
    await expect(client.workflow.count('VisAutoRegistered < 7')).resolves.toMatchObject({ count: 0 });
    await client.workflow.getHandle(handle.workflowId).terminate('done');
  });
});
