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
