import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Capsule } from '../../../capsules/capsule-schema';
import { BUILTIN_LIBRARY_DIR, loadLibrary } from '../../../capsules/library-loader';
import { createCapsuleRegistry } from '../../../capsules/registry/registry-store';
import type { CapsuleRunResult } from '../../../workflows/shared/types';
import { approveSignal, statusQuery } from '../../../workflows/shared/definitions';
import { eventTypeName, waitFor } from '../../support/devserver';
import { openAiToolCalls, type RecordedRequest } from '../../support/fake-slm';
import { startRuntimeHarness, type RuntimeHarness } from '../../fixtures/runtime/harness';
import { killWorkerProcess, startWorkerProcess } from '../../fixtures/runtime/worker-process';

// Two worker processes (each bundles the workflows) on a shared machine.
jest.setTimeout(180_000);

// A worker process (`workers/main.ts`, the production entry point) is SIGKILLed while a capsule
// step waits for approval of a tool call; a second process finishes the run from history. The
// in-process harness worker polls another task queue, so only the processes run this capsule.

let h: RuntimeHarness;
let base: Capsule;
const crashQueue = `crash-${process.pid}-${Date.now()}`;
const workers: ChildProcess[] = [];
let dataDir = '';

beforeAll(async () => {
  h = await startRuntimeHarness('runtime_crash');
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'somagent-crash-'));
  // Steps play personas at trust 0.5: workspace.write scores 0.55, in a review band from 0.5.
  await h.store.publish(2, { reviewThreshold: 0.5 });
  await h.holder.refreshFromStore();
  const library = await loadLibrary([BUILTIN_LIBRARY_DIR]);
  const registry = createCapsuleRegistry({ pool: h.store.pool });
  await registry.publishPersona(library.personas.find((p) => p.value.id === 'scribe')!.value);
  base = library.capsules.find((c) => c.value.id === 'meetings.transcript-summary')!.value;
});
afterAll(async () => {
  for (const worker of workers) await killWorkerProcess(worker);
  await h?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const startWorker = () => startWorkerProcess(h, { taskQueue: crashQueue, dataDir, track: workers });

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

describe('a worker killed mid-run', () => {
  it('a new worker finishes the run; the approved write runs once; one gate decision per attempt', async () => {
    const capsule = {
      ...base,
      id: 'crash.approval',
      tools: ['workspace.write', 'finish'],
      guardrails: {},
      steps: [
        {
          id: 'note',
          persona: 'scribe',
          instruction: 'MARK-CRASH: write the note.',
          tools: ['workspace.write'],
        },
      ],
    };
    const marker = `crash-note-${Date.now()}.md`;
    h.openai.enqueueWhen(
      (r: RecordedRequest) => JSON.stringify(r.body).includes('MARK-CRASH'),
      openAiToolCalls([
        { id: 'call-write', name: 'workspace__write', arguments: { path: marker, content: 'written once' } },
      ]),
      openAiToolCalls([{ id: 'call-finish', name: 'finish', arguments: { result: 'note written' } }]),
    );

    const first = await startWorker();
    const handle = await h.client.workflow.start('capsuleWorkflow', {
      taskQueue: crashQueue,
      workflowId: h.devserver.workflowId('crash'),
      args: [{ capsule, tenant: 'acme' }],
    });
    let approvalId = '';
    await waitFor(
      'the step to wait for approval',
      async () => {
        const pending = (await handle.query(statusQuery)).pendingApprovals;
        approvalId = pending[0]?.approvalId ?? '';
        return pending.length === 1;
      },
      90_000,
    );
    await killWorkerProcess(first);

    await startWorker();
    await handle.signal(approveSignal, { approvalId, approved: true, by: 'alice' });
    const result = (await handle.result()) as CapsuleRunResult;
    expect(result.status).toBe('completed');
    expect(result.steps.note).toMatchObject({ state: 'succeeded', output: 'note written' });

    // The side effect happened exactly once.
    const written = (await filesUnder(h.config.WORKSPACE_ROOT)).filter((f) => f.endsWith(marker));
    expect(written).toHaveLength(1);
    expect(await readFile(written[0]!, 'utf8')).toBe('written once');

    const childId = `${handle.workflowId}.note`;
    const childHandle = h.client.workflow.getHandle(childId);
    const events = await h.devserver.history(childHandle);
    const attempts = events
      .filter((e) => eventTypeName(e.eventType) === 'ACTIVITY_TASK_STARTED')
      .reduce((sum, e) => sum + Number(e.activityTaskStartedEventAttributes?.attempt ?? 1), 0);
    const decisions = await h.gateDecisions(childId);
    expect(decisions).toHaveLength(attempts);
    expect(new Set(decisions.map((d) => `${d.activityId}/${d.attempt}`)).size).toBe(decisions.length);
    const writes = decisions.filter((d) => d.toolId === 'workspace.write');
    expect(writes.map((d) => [d.decision, d.outcome])).toEqual([
      ['review', 'review'],
      ['review', 'approved'],
    ]);
    await h.replay(handle);
    await h.replay(childHandle);
  });
});
