import type { WorkflowHandle } from '@temporalio/client';
import type { Capsule } from '../../../capsules/capsule-schema';
import { BUILTIN_LIBRARY_DIR, loadLibrary } from '../../../capsules/library-loader';
import { createCapsuleRegistry } from '../../../capsules/registry/registry-store';
import type { CapsuleRunResult } from '../../../workflows/shared/types';
import { statusQuery } from '../../../workflows/shared/definitions';
import { eventTypes } from '../../support/devserver';
import { openAiToolCalls, type RecordedRequest } from '../../support/fake-slm';
import { startRuntimeHarness, type RuntimeHarness } from '../../fixtures/runtime/harness';

// Bundling the workflows and migrating a private database take a while on a shared machine.
jest.setTimeout(120_000);

// The capsule run's task graph with real child workflows: every step is a `personaWorkflow`
// child on the devserver, scripted through the fake OpenAI server by the step's instruction
// (parallel steps make the order of model calls nondeterministic).

let h: RuntimeHarness;
let base: Capsule;

beforeAll(async () => {
  h = await startRuntimeHarness('runtime_graph');
  const library = await loadLibrary([BUILTIN_LIBRARY_DIR]);
  const registry = createCapsuleRegistry({ pool: h.store.pool });
  await registry.publishPersona(library.personas.find((p) => p.value.id === 'scribe')!.value);
  base = library.capsules.find((c) => c.value.id === 'meetings.transcript-summary')!.value;
});
afterAll(async () => {
  await h?.close();
});

/** Requests whose conversation mentions `marker` (the step's instruction carries it). */
const mentions = (marker: string) => (request: RecordedRequest) =>
  JSON.stringify(request.body).includes(marker);

const finish = (result: string) => openAiToolCalls([{ name: 'finish', arguments: { result } }]);

function start(label: string, capsule: unknown, params: Record<string, unknown> = {}) {
  return h.client.workflow.start('capsuleWorkflow', {
    taskQueue: h.taskQueue,
    workflowId: h.devserver.workflowId(label),
    args: [{ capsule, params, tenant: 'acme' }],
  });
}

/** The run's history and every child's (persona steps), replayed through the worker's bundle. */
async function replayTree(handle: WorkflowHandle): Promise<string[]> {
  const events = await h.devserver.history(handle);
  const childIds = events
    .filter((e) => e.childWorkflowExecutionStartedEventAttributes)
    .map((e) => e.childWorkflowExecutionStartedEventAttributes!.workflowExecution!.workflowId!);
  await h.replay(handle);
  for (const id of childIds) await h.replay(h.client.workflow.getHandle(id));
  return childIds;
}

describe('capsuleWorkflow task graph with child workflows', () => {
  it('runs two parallel steps and a step that sees both outputs; per-step usage; replays', async () => {
    const capsule = {
      ...base,
      id: 'graph.fan-in',
      tools: ['finish'],
      guardrails: {},
      steps: [
        { id: 'left', persona: 'scribe', instruction: 'MARK-LEFT: list the risks.', tools: [] },
        { id: 'right', persona: 'scribe', instruction: 'MARK-RIGHT: list the wins.', tools: [] },
        {
          id: 'merge',
          persona: 'scribe',
          instruction: 'MARK-MERGE: combine <{{ steps.left.output }}> and <{{ steps.right.output }}>.',
          tools: [],
          dependsOn: ['left', 'right'],
        },
      ],
    };
    h.openai.enqueueWhen(mentions('MARK-LEFT'), finish('risk: churn'));
    h.openai.enqueueWhen(mentions('MARK-RIGHT'), finish('win: growth'));
    h.openai.enqueueWhen(mentions('MARK-MERGE'), finish('merged report'));
    const from = h.openai.chatRequests().length;

    const handle = await start('fan-in', capsule);
    const result = (await handle.result()) as CapsuleRunResult;
    expect(result.status).toBe('completed');
    expect(Object.keys(result.steps).sort()).toEqual(['left', 'merge', 'right']);
    expect(result.steps.left).toMatchObject({ state: 'succeeded', output: 'risk: churn' });
    expect(result.steps.right).toMatchObject({ state: 'succeeded', output: 'win: growth' });
    expect(result.steps.merge).toMatchObject({ state: 'succeeded', output: 'merged report' });
    for (const step of Object.values(result.steps)) {
      expect(step.childWorkflowId).toMatch(new RegExp(`^${handle.workflowId}\\.`));
      expect(step.usage.inputTokens).toBeGreaterThan(0);
      expect(step.usage.costUsd).toBeGreaterThan(0);
    }
    expect(result.usage.inputTokens).toBe(
      Object.values(result.steps).reduce((sum, s) => sum + s.usage.inputTokens, 0),
    );
    expect(result.usage.totalTokens).toBeGreaterThan(result.usage.inputTokens);

    // The merge step's model call carried the rendered outputs of both predecessors.
    const merge = h.openai
      .chatRequests()
      .slice(from)
      .find((b) => JSON.stringify(b).includes('MARK-MERGE'));
    expect(JSON.stringify(merge)).toContain('combine <risk: churn> and <win: growth>');

    const status = await handle.query(statusQuery);
    expect(status.phase).toBe('completed');
    expect(status.steps.map((s) => s.state)).toEqual(['succeeded', 'succeeded', 'succeeded']);

    const events = eventTypes(await h.devserver.history(handle));
    expect(events.filter((e) => e === 'START_CHILD_WORKFLOW_EXECUTION_INITIATED')).toHaveLength(3);
    const children = await replayTree(handle);
    expect(children).toHaveLength(3);
  });
});
