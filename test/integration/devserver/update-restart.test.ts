import { WorkflowUpdateStage } from '@temporalio/client';
import { eventTypes, spawnDevServer, type SpawnedDevServer } from '../../support/devserver';
import { startFixtureHarness, type FixtureHarness } from '../../support/devserver-fixtures';
import { createTestDatabase } from '../../support/postgres';
import {
  awaitReleaseUpdate,
  releaseSignal,
  setValueUpdate,
  updatableWorkflow,
} from '../../fixtures/devserver/update-workflows';
import { finishSignal } from '../../fixtures/devserver/shared';

// The devserver CLI on a database of its own (server-restart.test.ts owns the run's shared one),
// killed mid-update: what was accepted must survive.
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let server: SpawnedDevServer;
let h: FixtureHarness;

beforeAll(async () => {
  database = await createTestDatabase('update_restart');
  server = await spawnDevServer({ args: ['--port', '0', '--db', database.url] });
  h = await startFixtureHarness({ address: server.address });
});
afterAll(async () => {
  await h?.close();
  await server?.kill('SIGKILL');
  await database?.drop();
});

describe('workflow update across a devserver crash (PostgreSQL)', () => {
  it('keeps accepted and completed updates when the server is SIGKILLed mid-update', async () => {
    const worker = await h.fixtureWorker();
    try {
      const handle = await h.client.workflow.start(updatableWorkflow, {
        taskQueue: worker.taskQueue,
        workflowId: h.workflowId('update-crash'),
      });
      const doneId = 'done-before-crash';
      await expect(handle.executeUpdate(setValueUpdate, { args: ['kept'], updateId: doneId })).resolves.toBe(
        'set:kept',
      );
      const pending = await handle.startUpdate(awaitReleaseUpdate, {
        updateId: 'accepted-before-crash',
        waitForStage: WorkflowUpdateStage.ACCEPTED,
      });

      await server.kill('SIGKILL');
      server = await spawnDevServer({ args: ['--port', String(server.port), '--db', database.url] });

      // The completed update answers from history; the accepted one finishes after the restart.
      await expect(handle.executeUpdate(setValueUpdate, { args: ['again'], updateId: doneId })).resolves.toBe(
        'set:kept',
      );
      const result = pending.result();
      await handle.signal(releaseSignal);
      await expect(result).resolves.toBe('released');
      await handle.signal(finishSignal);
      await expect(handle.result()).resolves.toEqual(['kept']);

      const types = eventTypes(await h.history(handle));
      expect(types.filter((t) => t === 'WORKFLOW_EXECUTION_UPDATE_ACCEPTED')).toHaveLength(2);
      expect(types.filter((t) => t === 'WORKFLOW_EXECUTION_UPDATE_COMPLETED')).toHaveLength(2);
      await h.replay(handle);
    } finally {
      await worker.stop();
    }
  });
});
