/**
 * The devserver harness wired to the fixture workflows and activities in
 * `test/fixtures/devserver`: what most devserver integration test files need in one call.
 */
import {
  createActivityJournal,
  createDevserverActivities,
  type ActivityJournal,
} from '../fixtures/devserver/activities';
import {
  startDevServerHarness,
  type DevServerHarness,
  type HarnessOptions,
  type HarnessWorkerOptions,
  type RunningWorker,
} from './devserver';

export interface FixtureHarness extends DevServerHarness {
  journal: ActivityJournal;
  /** A worker with the fixture workflows and activities on a fresh task queue. */
  fixtureWorker(options?: HarnessWorkerOptions): Promise<RunningWorker>;
}

export async function startFixtureHarness(options: HarnessOptions = {}): Promise<FixtureHarness> {
  const harness = await startDevServerHarness(options);
  const journal = createActivityJournal();
  const activities = createDevserverActivities({ client: harness.client, journal });
  return Object.assign(harness, {
    journal,
    fixtureWorker: (workerOptions: HarnessWorkerOptions = {}) =>
      harness.startWorker({ activities, ...workerOptions }),
  });
}

/**
 * The usual lifecycle of a devserver test file: one harness (server, client, bundle) for the
 * file, a fresh fixture worker on its own task queue for each test. Read `suite.h` and
 * `suite.worker` inside tests and hooks (they are set by the time those run).
 */
export function useFixtureHarness(options: HarnessOptions = {}): {
  h: FixtureHarness;
  worker: RunningWorker;
} {
  const suite = {} as { h: FixtureHarness; worker: RunningWorker };
  beforeAll(async () => {
    suite.h = await startFixtureHarness(options);
  });
  beforeEach(async () => {
    suite.worker = await suite.h.fixtureWorker();
  });
  afterEach(async () => {
    await suite.worker?.stop();
  });
  afterAll(async () => {
    await suite.h?.close();
  });
  return suite;
}
