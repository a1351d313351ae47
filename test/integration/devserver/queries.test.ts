import { type RunningWorker } from '../../support/devserver';
import { startFixtureHarness, type FixtureHarness } from '../../support/devserver-fixtures';
import { collectWorkflow } from '../../fixtures/devserver/workflows';
import { addSignal, itemsQuery } from '../../fixtures/devserver/shared';

// jest ignores `testTimeout` inside `projects`; the bundle build and restarts need more than 5 s.
jest.setTimeout(30_000);

let h: FixtureHarness;
let worker: RunningWorker;

beforeAll(async () => {
  h = await startFixtureHarness();
});
beforeEach(async () => {
  worker = await h.fixtureWorker();
});
afterEach(async () => {
  await worker?.stop();
});
afterAll(async () => {
  await h?.close();
});

describe('queries on the devserver', () => {
  it('answers a query on a fresh run, on an idle running run and on a completed run', async () => {
    const handle = await h.client.workflow.start(collectWorkflow, {
      taskQueue: worker.taskQueue,
      workflowId: h.workflowId('query'),
      args: [{ expected: 2 }],
    });
    await expect(handle.query(itemsQuery)).resolves.toEqual([]);
    await handle.signal(addSignal, 'x');
    await expect(handle.query(itemsQuery)).resolves.toEqual(['x']);
    // Idle: no task pending, so the query goes out as its own (legacy) query task.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await expect(handle.query(itemsQuery)).resolves.toEqual(['x']);
    await handle.signal(addSignal, 'y');
    await handle.result();
    await expect(handle.query(itemsQuery)).resolves.toEqual(['x', 'y']);
  });

  it('answers a completed run from a worker that never saw it (full history)', async () => {
    const handle = await h.client.workflow.start(collectWorkflow, {
      taskQueue: worker.taskQueue,
      workflowId: h.workflowId('query-cold'),
      args: [{ expected: 1 }],
    });
    await handle.signal(addSignal, 'only');
    await handle.result();
    await worker.stop();
    worker = await h.fixtureWorker({ taskQueue: worker.taskQueue });
    await expect(handle.query(itemsQuery)).resolves.toEqual(['only']);
  });

  it('rejects an unknown query type with the worker message', async () => {
    const handle = await h.client.workflow.start(collectWorkflow, {
      taskQueue: worker.taskQueue,
      workflowId: h.workflowId('query-unknown'),
      args: [{ expected: 1 }],
    });
    await expect(handle.query('noSuchQuery')).rejects.toThrow(/noSuchQuery/);
    await handle.signal(addSignal, 'done');
    await handle.result();
  });
});
