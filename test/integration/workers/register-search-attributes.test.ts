import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { DefaultLogger, Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import type { Pool } from 'pg';
import { loadConfig } from '../../../services/config';
import { createLogger } from '../../../services/logger';
import { createDataConverter } from '../../../services/payloads';
import { createPool, migrate } from '../../../services/postgres';
import { SEARCH_ATTRIBUTE_DEFINITIONS, SEARCH_ATTRIBUTES } from '../../../workflows/shared/search-attributes';
import {
  registerSearchAttributes,
  SearchAttributeRegistrationError,
} from '../../../workers/register-search-attributes';
import { bundleSomagentWorkflows } from '../../../workers/workflow-bundle';
import { startWorkerRuntime } from '../../../workers/worker-runtime';
import { rejectionOf, startDevServerHarness, type DevServerHarness } from '../../support/devserver';
import { createTestDatabase } from '../../support/postgres';

// The worker runtime bundles the workflows at start, which takes a while on a shared machine.
jest.setTimeout(180_000);

const { IndexedValueType } = temporal.api.enums.v1;
const logger = createLogger({ level: 'silent' });
const NAMES = SEARCH_ATTRIBUTE_DEFINITIONS.map((d) => d.name);

let h: DevServerHarness;
beforeAll(async () => {
  h = await startDevServerHarness();
});
afterAll(async () => {
  await h?.close();
});

describe('registerSearchAttributes', () => {
  it('registers the platform attributes once and is a no-op afterwards', async () => {
    const { workflowService } = h.client.connection;
    const namespace = h.workflowId('sa-ns');
    await workflowService.registerNamespace({ namespace });
    const operatorService = h.connection.operatorService;

    await expect(registerSearchAttributes({ operatorService, namespace, logger })).resolves.toEqual(NAMES);
    const listed = await h.client.connection.operatorService.listSearchAttributes({ namespace });
    for (const name of NAMES)
      expect(listed.customAttributes[name]).toBe(IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
    await expect(registerSearchAttributes({ operatorService, namespace, logger })).resolves.toEqual([]);
  });

  it('fails naming the attribute and the fix when it exists with another type', async () => {
    const namespace = h.workflowId('sa-conflict');
    await h.client.connection.workflowService.registerNamespace({ namespace });
    await h.client.connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: { SomagentTenant: IndexedValueType.INDEXED_VALUE_TYPE_INT },
    });
    const err = await rejectionOf(
      registerSearchAttributes({ operatorService: h.connection.operatorService, namespace, logger }),
    );
    expect(err).toBeInstanceOf(SearchAttributeRegistrationError);
    expect((err as Error).message).toContain(`SomagentTenant is registered on namespace ${namespace} as INT`);
    expect((err as Error).message).toContain('temporal operator search-attribute remove');
    // Nothing else was registered half-way.
    const listed = await h.client.connection.operatorService.listSearchAttributes({ namespace });
    expect(listed.customAttributes).not.toHaveProperty('SomagentCapsuleId');
  });

  it('fails with the manual command when the server refuses (unknown namespace)', async () => {
    const err = await rejectionOf(
      registerSearchAttributes({
        operatorService: h.connection.operatorService,
        namespace: 'no-such-ns',
        logger,
      }),
    );
    expect(err).toBeInstanceOf(SearchAttributeRegistrationError);
    expect((err as Error).message).toContain(
      'temporal operator search-attribute create --namespace no-such-ns --name SomagentCapsuleId --type KEYWORD',
    );
  });
});

describe('worker start', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: Pool;
  let dataDir: string;

  beforeAll(async () => {
    db = await createTestDatabase('worker_sa');
    await migrate({ url: db.url });
    pool = createPool({ url: db.url, max: 2 });
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'somagent-worker-sa-'));
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('registers the attributes so a capsule run can be listed by tenant', async () => {
    const namespace = h.workflowId('sa-worker');
    await h.client.connection.workflowService.registerNamespace({ namespace });
    const taskQueue = h.taskQueue('sa-worker');
    const config = loadConfig({
      ...process.env,
      DATABASE_URL: db.url,
      TEMPORAL_ADDRESS: h.address,
      TEMPORAL_NAMESPACE: namespace,
      TEMPORAL_TASK_QUEUE: taskQueue,
      SOMAGENT_DATA_DIR: dataDir,
      WORKSPACE_ROOT: path.join(dataDir, 'workspaces'),
    });
    const runtime = await startWorkerRuntime({ config, logger });
    const running = runtime.run();
    try {
      const listed = await h.client.connection.operatorService.listSearchAttributes({ namespace });
      expect(Object.keys(listed.customAttributes)).toEqual(expect.arrayContaining(NAMES));

      const dataConverter = createDataConverter({ pool });
      const client = new Client({ connection: h.client.connection, namespace, dataConverter });
      const handle = await client.workflow.start('capsuleWorkflow', {
        taskQueue,
        workflowId: h.workflowId('sa-capsule'),
        args: [{ capsule: 'meetings.not-published@^1', tenant: 'x' }],
      });
      // No such capsule is published: the run tags itself, then fails loading its plan.
      await expect(handle.result()).rejects.toThrow();
      const found = [];
      for await (const info of client.workflow.list({ query: "SomagentTenant = 'x'" })) found.push(info);
      expect(found.map((info) => info.workflowId)).toEqual([handle.workflowId]);
      expect(found[0]!.typedSearchAttributes.get(SEARCH_ATTRIBUTES.capsuleId)).toBe('meetings.not-published');
      await expect(client.workflow.count("SomagentTenant = 'someone-else'")).resolves.toMatchObject({
        count: 0,
      });

      const bundle = await bundleSomagentWorkflows({ logger: new DefaultLogger('WARN') });
      await Worker.runReplayHistory(
        { workflowBundle: { code: bundle.code }, dataConverter },
        await handle.fetchHistory(),
        handle.workflowId,
      );
    } finally {
      runtime.worker.shutdown();
      await running;
    }
  });
});
