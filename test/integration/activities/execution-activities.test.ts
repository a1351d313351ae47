import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createExecutionActivities, ERROR_TYPES, type SlmMessage } from '../../../activities';
import type { Invocation } from '../../../activities/shared/invocation';
import { loadConfig } from '../../../services/config';
import { createLogger } from '../../../services/logger';
import { openAiText, openAiToolCalls, startFakeOpenAi, type FakeOpenAi } from '../../support/fake-slm';
import { testPool } from '../../support/pg';
import { testRedis, uniqueId } from './helpers';

/**
 * The whole activity layer composed from config, driven the way a persona workflow will drive
 * it: list tools → model turn → execute the tool calls → model turn with results → remember.
 */
describe('createExecutionActivities: one agent loop over the activity layer', () => {
  const pool = testPool();
  const redis = testRedis();
  let fake: FakeOpenAi;
  let root: string;
  let activities: ReturnType<typeof createExecutionActivities>;
  let activityCounter = 0;
  const workflowId = uniqueId('persona-wf');
  const runId = uniqueId('run');
  const nextActivity = (): Invocation => ({
    workflowId,
    runId,
    activityId: String(++activityCounter),
    attempt: 1,
    signal: new AbortController().signal,
  });
  let current: Invocation;

  beforeAll(async () => {
    fake = await startFakeOpenAi({ apiKey: 'sk-local-key-abcdef123456' });
    root = await mkdtemp(path.join(os.tmpdir(), 'somagent-exec-'));
    const config = loadConfig({
      LOCAL_SLM_BASE_URL: fake.baseURL,
      LOCAL_SLM_API_KEY: 'sk-local-key-abcdef123456',
      WORKSPACE_ROOT: root,
      SLM_RATE_LIMITS: `local=100`,
      EMBEDDINGS_PROVIDER: 'local',
      EMBEDDINGS_MODEL: 'nomic-embed-text',
    });
    activities = createExecutionActivities({
      config,
      pool,
      redis,
      logger: createLogger({ level: 'silent' }),
      invocation: () => current,
    });
  });
  afterAll(async () => {
    await fake.close();
    await rm(root, { recursive: true, force: true });
    await Promise.all([pool.end(), redis.quit()]);
  });

  it('runs tool calls from the model and feeds the results back', async () => {
    const tenant = uniqueId('tenant');
    const scope = { tenant, capsule: 'docs-capsule', persona: 'writer' };
    current = nextActivity();
    const { definitions } = await activities.listTools({
      ids: ['workspace.write', 'workspace.read', 'finish'],
    });

    const messages: SlmMessage[] = [
      { role: 'system', content: 'You write files.' },
      { role: 'user', content: 'Write hello.md saying hi, then read it back.' },
    ];
    fake.enqueue(
      openAiToolCalls([
        { id: 'c1', name: 'workspace__write', arguments: { path: 'hello.md', content: 'hi' } },
        { id: 'c2', name: 'workspace__read', arguments: { path: 'hello.md' } },
      ]),
    );
    current = nextActivity();
    const turn1 = await activities.slmComplete({
      tenant,
      messages,
      tools: definitions,
      model: { provider: 'local', model: 'qwen2.5:7b' },
    });
    expect(turn1.toolCalls.map((c) => c.name)).toEqual(['workspace.write', 'workspace.read']);
    messages.push({ role: 'assistant', content: turn1.text, toolCalls: turn1.toolCalls });

    current = nextActivity();
    for (const [i, call] of turn1.toolCalls.entries()) {
      const result = await activities.executeTool({
        toolId: call.name,
        arguments: call.arguments,
        callIndex: i,
        context: { tenant, capsule: scope.capsule, persona: scope.persona },
      });
      messages.push({ role: 'tool', toolCallId: call.id, content: JSON.stringify(result.output) });
    }
    fake.enqueue(openAiText('Done: hello.md says hi.'));
    current = nextActivity();
    const turn2 = await activities.slmComplete({
      tenant,
      messages,
      tools: definitions,
      model: { provider: 'local', model: 'qwen2.5:7b' },
    });
    expect(turn2).toMatchObject({ text: 'Done: hello.md says hi.', stopReason: 'end', costUsd: 0 });
    const sent = fake.chatRequests().at(-1)!.messages as { role: string; content: string }[];
    expect(sent.at(-1)).toEqual({
      role: 'tool',
      tool_call_id: 'c2',
      content: JSON.stringify({ path: 'hello.md', content: 'hi', bytes: 2 }),
    });

    current = nextActivity();
    const first = await activities.memoryRemember({
      scope,
      content: 'hello.md greets the reader with hi',
      kind: 'summary',
    });
    const second = await activities.memoryRemember({
      scope,
      content: 'The greeting file was reviewed',
      links: [{ to: first.id, relation: 'reviews' }],
    });
    expect(second.created).toBe(false); // same activity: a retry of memoryRemember stores once
    current = nextActivity();
    const linked = await activities.memoryRemember({
      scope,
      content: 'The greeting file was reviewed',
      links: [{ to: first.id, relation: 'reviews' }],
    });
    const recalled = await activities.memoryRecall({
      scope,
      query: 'greeting hello file',
      neighbourDepth: 1,
    });
    expect(recalled.memories.map((m) => m.id)).toEqual(expect.arrayContaining([first.id, linked.id]));
    expect(recalled.neighbours[first.id]!.map((n) => [n.id, n.relation, n.direction])).toEqual([
      [linked.id, 'reviews', 'in'],
    ]);
    expect(recalled.memories[0]!.similarity).not.toBeNull();

    expect(await activities.getBudget({ tenant })).toMatchObject({
      tenant,
      limitUsd: null,
      spentUsd: 0,
      reservedUsd: 0,
    });
  });

  it('refuses workflow-handled tools and unknown providers with typed failures', async () => {
    current = nextActivity();
    await expect(
      activities.executeTool({
        toolId: 'delegate',
        arguments: { persona: 'qa', task: 'x' },
        context: { tenant: 't' },
      }),
    ).rejects.toMatchObject({ type: ERROR_TYPES.ToolNotExecutable, nonRetryable: true });
    await expect(
      activities.slmComplete({
        tenant: 't',
        messages: [{ role: 'user', content: 'x' }],
        model: { provider: 'openai', model: 'gpt-4o' },
      }),
    ).rejects.toMatchObject({ type: ERROR_TYPES.SlmNotConfigured, nonRetryable: true });
  });
});
