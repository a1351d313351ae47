import type { Capsule, OutputSchema } from '../../../capsules/capsule-schema';
import { BUILTIN_LIBRARY_DIR, loadLibrary } from '../../../capsules/library-loader';
import { createCapsuleRegistry } from '../../../capsules/registry/registry-store';
import { statusQuery } from '../../../workflows/shared/definitions';
import type { PersonaResult } from '../../../workflows/shared/types';
import { openAiText, openAiToolCalls } from '../../support/fake-slm';
import { startRuntimeHarness, type RuntimeHarness } from '../../fixtures/runtime/harness';
import { personaInput } from '../../fixtures/runtime/persona-input';
import { failedRun } from '../../fixtures/runtime/run-outcome';

// Typed step outputs end to end: the `finish` tool carries the step's schema to the model, the
// workflow validates the answer, an off-schema answer gets a correction turn quoting the paths,
// and a persona that never gets it right fails its step (and the run) with OutputSchemaMismatch.

jest.setTimeout(120_000);

let h: RuntimeHarness;
let meetingSummary: Capsule;

beforeAll(async () => {
  h = await startRuntimeHarness('runtime_typed');
  const library = await loadLibrary([BUILTIN_LIBRARY_DIR]);
  const registry = createCapsuleRegistry({ pool: h.store.pool });
  await registry.publishPersona(library.personas.find((p) => p.value.id === 'scribe')!.value);
  meetingSummary = library.capsules.find((c) => c.value.id === 'meetings.transcript-summary')!.value;
  await registry.publishCapsule(meetingSummary);
});
afterAll(async () => {
  await h?.close();
});

const output: OutputSchema = {
  type: 'object',
  required: ['title', 'points'],
  properties: {
    title: { type: 'string' },
    points: { type: 'array', items: { type: 'string' } },
    score: { type: 'integer' },
  },
};

interface WireRequest {
  messages: Array<{ role: string; content?: string | null }>;
  tools?: Array<{ function: { name: string; strict?: boolean; parameters: Record<string, unknown> } }>;
}

const finishCall = (id: string, args: unknown) => openAiToolCalls([{ id, name: 'finish', arguments: args }]);

async function startPersona(label: string) {
  const workflowId = h.devserver.workflowId(label);
  return h.client.workflow.start('personaWorkflow', {
    taskQueue: h.taskQueue,
    workflowId,
    args: [personaInput(workflowId, { output, instruction: 'Summarise the launch plan.' })],
  });
}

describe('personaWorkflow with a declared output', () => {
  it('gives the model the schema, corrects two off-schema answers, then returns the typed value', async () => {
    const from = h.openai.chatRequests().length;
    h.openai.enqueue(
      finishCall('f1', { title: 'Launch', points: 'ship it' }),
      openAiText('Here is the result: {"title": 3}'),
      finishCall('f3', { title: 'Launch', points: ['ship it', 'price page'], score: null, extra: true }),
    );
    const handle = await startPersona('corrected');
    const result = (await handle.result()) as PersonaResult;
    expect(result).toMatchObject({
      status: 'final',
      output: { title: 'Launch', points: ['ship it', 'price page'] },
      turns: 3,
    });

    const requests = h.openai.chatRequests().slice(from) as unknown as WireRequest[];
    expect(requests).toHaveLength(3);
    const finish = requests[0]!.tools!.find((t) => t.function.name === 'finish')!;
    expect(finish.function.strict).toBe(true);
    expect(finish.function.parameters).toMatchObject({
      type: 'object',
      required: ['title', 'points', 'score'],
      additionalProperties: false,
      properties: { score: { type: ['integer', 'null'] } },
    });
    expect(requests[0]!.messages.at(-1)!.content).toContain('must match this JSON schema');
    // The first correction answers the finish call, the second the text answer.
    const second = JSON.stringify(requests[1]!.messages.at(-1));
    expect(second).toContain('$.points: expected an array, got string');
    const third = requests[2]!.messages.at(-1)!;
    expect(third.role).toBe('user');
    expect(third.content).toContain('$.title: expected a string, got number 3');
    expect(third.content).toContain('$.points: is required but missing');
    await h.replay(handle);
  });

  it('stops with invalid_output after the last correction, naming the path and what was expected', async () => {
    h.openai.enqueue(
      finishCall('g1', { title: 1, points: [] }),
      finishCall('g2', { title: 2, points: [] }),
      finishCall('g3', { title: 3, points: [] }),
    );
    const handle = await startPersona('never-right');
    const result = (await handle.result()) as PersonaResult;
    expect(result.status).toBe('invalid_output');
    expect(result.turns).toBe(3);
    expect(result.reason).toContain('after 3 tries');
    expect(result.reason).toContain('$.title: expected a string, got number 3');
    await h.replay(handle);
  });
});

describe('capsuleWorkflow with typed step outputs', () => {
  const extract = {
    decisions: ['Ship the default constitution as is', 'Launch date stays 1 December'],
    actionItems: [{ owner: 'Marco', task: 'Update the pricing page', due: 'Friday' }],
    openQuestions: ['Do we support Azure OpenAI at launch?'],
  };

  it('feeds the typed output of one step into the next instruction and the status query', async () => {
    const from = h.openai.chatRequests().length;
    h.openai.enqueue(finishCall('e1', extract), finishCall('w1', { result: 'Summary written.' }));
    const handle = await h.client.workflow.start('capsuleWorkflow', {
      taskQueue: h.taskQueue,
      workflowId: h.devserver.workflowId('typed-capsule'),
      args: [{ capsule: `${meetingSummary.id}@^1`, tenant: 'acme' }],
    });
    const result = await handle.result();
    expect(result.status).toBe('completed');
    expect(result.steps.extract!.output).toEqual(extract);
    const status = await handle.query(statusQuery);
    expect(status.steps.find((s) => s.id === 'extract')!.output).toEqual(extract);

    const writeRequest = h.openai.chatRequests().slice(from)[1] as unknown as WireRequest;
    const instruction = writeRequest.messages.find((m) => m.role === 'user')!.content!;
    expect(instruction).toContain('- Ship the default constitution as is\n- Launch date stays 1 December');
    const item = /\n- (\{.*"owner":"Marco".*\})\n/.exec(instruction)?.[1];
    expect(JSON.parse(item!)).toEqual(extract.actionItems[0]);
    expect(instruction).not.toContain('[object Object]');
    await h.replay(handle);
  });

  it('an off-schema persona fails the run: Failed, OutputSchemaMismatch, the step and the path named', async () => {
    const bad = { decisions: 'none', actionItems: [], openQuestions: [] };
    h.openai.enqueue(finishCall('b1', bad), finishCall('b2', bad), finishCall('b3', bad));
    const handle = await h.client.workflow.start('capsuleWorkflow', {
      taskQueue: h.taskQueue,
      workflowId: h.devserver.workflowId('typed-capsule-bad'),
      args: [{ capsule: `${meetingSummary.id}@^1`, tenant: 'acme' }],
    });
    const { failure, result } = await failedRun(handle);
    expect(failure.type).toBe('OutputSchemaMismatch');
    expect(failure.message).toMatch(/^step "extract" failed: OutputSchemaMismatch: /);
    expect(failure.message).toContain('$.decisions: expected an array, got string "none"');
    expect(result.steps.extract).toMatchObject({ state: 'failed', error: { type: 'OutputSchemaMismatch' } });
    expect(result.steps['write-summary']).toMatchObject({ state: 'skipped' });
    const listed = [];
    for await (const run of h.client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` })) {
      listed.push(run.status.name);
    }
    expect(listed).toEqual(['FAILED']);
    await h.replay(handle);
  });
});
