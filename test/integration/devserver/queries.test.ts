import { useFixtureHarness } from '../../support/devserver-fixtures';
import { collectWorkflow } from '../../fixtures/devserver/workflows';
import { addSignal, itemsQuery } from '../../fixtures/devserver/shared';

const suite = useFixtureHarness();

describe('queries on the devserver', () => {
  it('answers a query on a fresh run, on an idle running run and on a completed run', async () => {
    const handle = await suite.h.client.workflow.start(collectWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId: suite.h.workflowId('query'),
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
    const handle = await suite.h.client.workflow.start(collectWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId: suite.h.workflowId('query-cold'),
      args: [{ expected: 1 }],
    });
    await handle.signal(addSignal, 'only');
    await handle.result();
    await suite.worker.stop();
    suite.worker = await suite.h.fixtureWorker({ taskQueue: suite.worker.taskQueue });
    await expect(handle.query(itemsQuery)).resolves.toEqual(['only']);
  });

  it('rejects an unknown query type with the worker message', async () => {
    const handle = await suite.h.client.workflow.start(collectWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId: suite.h.workflowId('query-unknown'),
      args: [{ expected: 1 }],
    });
    await expect(handle.query('noSuchQuery')).rejects.toThrow(/noSuchQuery/);
    await handle.signal(addSignal, 'done');
    await handle.result();
  });

  it('replays every workflow history this file produced', async () => {
    await expect(suite.h.replayAll()).resolves.toBeGreaterThan(0);
  });
});
