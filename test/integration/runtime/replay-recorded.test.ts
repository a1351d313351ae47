import { readdirSync } from 'node:fs';
import { DefaultLogger, Worker } from '@temporalio/worker';
import type { History } from '@temporalio/common/lib/proto-utils';
import type { Pool } from 'pg';
import { createDataConverter } from '../../../services/payloads';
import { bundleSomagentWorkflows } from '../../../workers/workflow-bundle';
import {
  blobRefsIn,
  historyToJson,
  payloadTexts,
  readBlobs,
  readHistory,
  historySets,
  readManifest,
  runsDir,
  type HistorySet,
  type RecordedRun,
} from '../../fixtures/histories/recorded-histories';
import { SCENARIOS } from '../../fixtures/histories/scenarios';
import { FAKE_OPENAI_KEY } from '../../fixtures/runtime/harness';
import { installQuietRuntime } from '../../support/devserver';
import { testPool } from '../../support/pg';

// Bundling the workflows takes a while on a shared machine.
jest.setTimeout(180_000);

// The guard for workflow code changes: every history recorded from the e2e scenarios
// (`npm run record-histories`, see test/fixtures/histories/README.md) must replay against the
// CURRENT workflow bundle, with the worker's interceptors and payload codec. A change that makes
// a recorded run diverge fails here with the history's file and workflow id.

let pool: Pool;
let workflowBundle: { code: string };
const manifest = readManifest();
const sets = historySets();

beforeAll(async () => {
  installQuietRuntime();
  pool = testPool();
  const [bundle] = await Promise.all([
    bundleSomagentWorkflows({ logger: new DefaultLogger('WARN') }),
    // The histories reference payloads the codec stored out of history; replay restores them
    // from this database like a worker of the recording deployment would.
    (async () => {
      for (const blob of sets.flatMap((set) => readBlobs(set))) {
        await pool.query(
          `INSERT INTO payload_blobs (sha256, metadata, data, size_bytes) VALUES ($1, $2, $3, $4)
           ON CONFLICT (sha256) DO NOTHING`,
          [
            Buffer.from(blob.sha256, 'hex'),
            Buffer.from(blob.metadata, 'base64'),
            Buffer.from(blob.data, 'base64'),
            Buffer.from(blob.metadata, 'base64').length + Buffer.from(blob.data, 'base64').length,
          ],
        );
      }
    })(),
  ]);
  workflowBundle = { code: bundle.code };
});
afterAll(async () => {
  await pool?.end();
});

/** Replays every history in one replay worker; returns one line per history that diverged. */
async function replayAll(
  runs: Array<{ run: RecordedRun; history: History; set?: HistorySet }>,
): Promise<string[]> {
  const failures: string[] = [];
  const results = Worker.runReplayHistories(
    { workflowBundle, dataConverter: createDataConverter({ pool }) },
    runs.map(({ run, history }) => ({ workflowId: run.workflowId, history })),
  );
  let i = 0;
  for await (const result of results) {
    const { run, set } = runs[i]!;
    i += 1;
    if (result.error) {
      failures.push(
        `${set && set.name !== 'current' ? `frozen/${set.name}/` : ''}${run.file} ` +
          `(scenario ${run.scenario}, ${run.workflowType} ${run.workflowId}): ` +
          `${result.error.name}: ${result.error.message}`,
      );
    }
  }
  if (i !== runs.length) failures.push(`only ${i} of ${runs.length} histories were replayed`);
  return failures;
}

describe('recorded histories', () => {
  it('the manifest names every stored history and every e2e scenario has its runs', () => {
    for (const set of sets) {
      const files = readdirSync(runsDir(set)).filter((f) => f.endsWith('.json'));
      expect({
        set: set.name,
        files: readManifest(set)
          .runs.map((r) => r.file)
          .sort(),
      }).toEqual({
        set: set.name,
        files: files.sort(),
      });
    }
    expect(new Set(manifest.runs.map((r) => r.scenario))).toEqual(new Set(SCENARIOS.map((s) => s.name)));
    const types = (scenario: string) =>
      manifest.runs.filter((r) => r.scenario === scenario).map((r) => `${r.workflowType}#${r.run}`);
    // The shapes the guard is about: parallel children, a delegate grandchild, continue-as-new.
    expect(types('capsule-parallel-steps').sort()).toEqual([
      'capsuleWorkflow#1',
      'personaWorkflow#1',
      'personaWorkflow#1',
      'personaWorkflow#1',
    ]);
    expect(types('capsule-delegation')).toHaveLength(3);
    expect(types('persona-continue-as-new')).toEqual(['personaWorkflow#1', 'personaWorkflow#2']);
  });

  it('carry no secret or machine path, and every payload they reference out of history is stored', () => {
    const blobs = new Set(sets.flatMap((set) => readBlobs(set)).map((b) => b.sha256));
    const refs = new Set<string>();
    for (const { run, set } of sets.flatMap((set) => readManifest(set).runs.map((run) => ({ run, set })))) {
      const json = historyToJson(readHistory(run, set));
      const texts = [JSON.stringify(json), ...payloadTexts(json)].join('\n');
      expect({ file: run.file, secret: texts.includes(FAKE_OPENAI_KEY) }).toEqual({
        file: run.file,
        secret: false,
      });
      expect({ file: run.file, path: /\/(tmp|home|root|work)\//.exec(texts)?.[0] ?? null }).toEqual({
        file: run.file,
        path: null,
      });
      for (const ref of blobRefsIn(json)) refs.add(ref);
    }
    // The recording's codec threshold sends the larger payloads to Postgres: the fixtures
    // exercise reference payloads, and none is dangling.
    expect(refs.size).toBeGreaterThan(0);
    expect([...refs].filter((r) => !blobs.has(r))).toEqual([]);
  });

  it('every recorded history, frozen sets included, replays against the current workflow bundle', async () => {
    const runs = sets.flatMap((set) =>
      readManifest(set).runs.map((run) => ({ run, set, history: readHistory(run, set) })),
    );
    expect(await replayAll(runs)).toEqual([]);
  });

  it('a history the workflow code no longer matches is reported by file and workflow id', async () => {
    const run = manifest.runs.find((r) => r.scenario === 'persona-tool-call')!;
    const history = readHistory(run);
    // As if the workflow had scheduled another activity type on this code path.
    const scheduled = history.events!.find((e) => e.activityTaskScheduledEventAttributes)!;
    scheduled.activityTaskScheduledEventAttributes!.activityType = { name: 'renamedActivity' };
    const failures = await replayAll([{ run, history }]);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toContain(
      `${run.file} (scenario persona-tool-call, personaWorkflow ${run.workflowId})`,
    );
    expect(failures[0]).toMatch(/DeterminismViolationError|[Nn]ondetermin/);
  });
});
