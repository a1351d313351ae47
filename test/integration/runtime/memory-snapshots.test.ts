import type { Capsule } from '../../../capsules/capsule-schema';
import { BUILTIN_LIBRARY_DIR, loadLibrary } from '../../../capsules/library-loader';
import { createCapsuleRegistry } from '../../../capsules/registry/registry-store';
import { createSnapshotStore } from '../../../activities/memory/snapshot-store';
import { statusQuery } from '../../../workflows/shared/definitions';
import type { CapsuleRunResult } from '../../../workflows/shared/types';
import { openAiToolCalls, type RecordedRequest } from '../../support/fake-slm';
import { startRuntimeHarness, type RuntimeHarness } from '../../fixtures/runtime/harness';

// Memory snapshots at run time: a capsule's `memory` is loaded for the run's tenant before the
// first step, pinned (latest → a version and digest, visible in the status query), and rendered
// into instructions; a required snapshot the tenant does not have fails the run before any model
// call, saying how to store it.

jest.setTimeout(120_000);

let h: RuntimeHarness;
let base: Capsule;

beforeAll(async () => {
  h = await startRuntimeHarness('runtime_memory');
  const library = await loadLibrary([BUILTIN_LIBRARY_DIR]);
  await createCapsuleRegistry({ pool: h.store.pool }).publishPersona(
    library.personas.find((p) => p.value.id === 'scribe')!.value,
  );
  base = library.capsules.find((c) => c.value.id === 'meetings.transcript-summary')!.value;
  const snapshots = createSnapshotStore({ pool: h.store.pool });
  await snapshots.put({
    tenant: 'mem-a',
    name: 'team/glossary',
    version: '2026-11-01',
    content: { terms: ['old'] },
  });
  await snapshots.put({
    tenant: 'mem-a',
    name: 'team/glossary',
    version: '2026-12-01',
    content: { terms: ['WAU: weekly active users', 'ARR: annual recurring revenue'] },
  });
});
afterAll(async () => {
  await h?.close();
});

function capsuleWithMemory(marker: string): Capsule {
  const [binding] = Object.values(base.personas);
  const [step] = base.steps;
  const { output: _output, ...plain } = step!;
  return {
    ...base,
    id: 'memory.probe',
    tools: ['finish'],
    guardrails: {},
    personas: { s: binding! },
    memory: [
      { id: 'glossary', ref: 'snapshot://team/glossary@latest', required: true },
      { id: 'lastNotes', ref: 'snapshot://team/notes', required: false },
    ],
    steps: [
      {
        ...plain,
        id: 'only',
        persona: 's',
        instruction: `${marker}: use the glossary {{ memory.glossary.terms }} and last notes: {{ memory.lastNotes }}.`,
        tools: [],
        dependsOn: [],
      },
    ],
  };
}

const mentions = (marker: string) => (request: RecordedRequest) =>
  JSON.stringify(request.body).includes(marker);
const asked = (marker: string) => h.openai.chatRequests().filter((r) => JSON.stringify(r).includes(marker));

describe('memory snapshots in a capsule run', () => {
  it('renders the tenant snapshot, pinned to the newest version, and "(none)" for a missing optional one', async () => {
    h.openai.enqueueWhen(
      mentions('MARK-MEM-A'),
      openAiToolCalls([{ name: 'finish', arguments: { result: 'ok' } }]),
    );
    const handle = await h.client.workflow.start('capsuleWorkflow', {
      taskQueue: h.taskQueue,
      workflowId: h.devserver.workflowId('memory-loaded'),
      args: [{ capsule: capsuleWithMemory('MARK-MEM-A'), tenant: 'mem-a' }],
    });
    const result = (await handle.result()) as CapsuleRunResult;
    expect(result.status).toBe('completed');
    const [request] = asked('MARK-MEM-A');
    const text = JSON.stringify(request);
    expect(text).toContain('- WAU: weekly active users\\n- ARR: annual recurring revenue');
    expect(text).toContain('last notes: (none).');
    expect(text).not.toContain('- old');
    const status = await handle.query(statusQuery);
    expect(status.memory).toEqual({
      glossary: {
        ref: 'snapshot://team/glossary@2026-12-01',
        digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      },
      lastNotes: null,
    });
  });

  it('fails the run before any model call when the tenant lacks a required snapshot', async () => {
    const handle = await h.client.workflow.start('capsuleWorkflow', {
      taskQueue: h.taskQueue,
      workflowId: h.devserver.workflowId('memory-missing'),
      args: [{ capsule: capsuleWithMemory('MARK-MEM-B'), tenant: 'mem-b' }],
    });
    const err = await handle.result().catch((e: unknown) => e);
    expect((err as { cause?: { type?: string } }).cause?.type).toBe('MemorySnapshotNotFound');
    expect((err as { cause?: Error }).cause?.message).toContain(
      'tenant "mem-b" has no memory snapshot for glossary (snapshot://team/glossary@latest)',
    );
    expect((err as { cause?: Error }).cause?.message).toContain('--tenant mem-b');
    expect((await handle.describe()).status.name).toBe('FAILED');
    expect(asked('MARK-MEM-B')).toEqual([]);
  });
});
