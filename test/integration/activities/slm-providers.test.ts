import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { ApplicationFailure } from '@temporalio/common';
import { createAnthropicProvider } from '../../../activities/slm/anthropic-provider';
import { createOpenAiProvider } from '../../../activities/slm/openai-provider';
import type { SlmProvider, SlmRequest } from '../../../activities/slm/types';
import { ERROR_TYPES } from '../../../activities/shared/error-types';
import {
  anthropicError,
  anthropicText,
  anthropicToolUse,
  openAiError,
  openAiText,
  openAiToolCalls,
  presentedKey,
  startFakeAnthropic,
  startFakeOpenAi,
  type FakeAnthropic,
  type FakeOpenAi,
} from '../../support/fake-slm';

const OPENAI_KEY = 'sk-test-openai-0123456789abcdefSECRET';
const ANTHROPIC_KEY = 'sk-ant-test-0123456789abcdefSECRET';

const tool = {
  name: 'workspace.read',
  description: 'Read a file',
  parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
};

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ApplicationFailure);
    return err as ApplicationFailure;
  }
  throw new Error('expected the call to fail');
}

function expectNoSecret(failure: ApplicationFailure, secret: string) {
  const text = [failure.message, failure.cause?.message, JSON.stringify(failure.details), failure.stack].join(
    '\n',
  );
  expect(text).not.toContain(secret);
  expect(text).not.toContain(secret.slice(0, 12));
}

describe('OpenAI provider against the wire fake', () => {
  let fake: FakeOpenAi;
  let provider: SlmProvider;
  beforeAll(async () => {
    fake = await startFakeOpenAi({ apiKey: OPENAI_KEY });
    provider = createOpenAiProvider({
      name: 'openai',
      client: new OpenAI({ apiKey: OPENAI_KEY, baseURL: fake.baseURL, maxRetries: 0 }),
      secrets: [OPENAI_KEY],
    });
  });
  afterAll(() => fake.close());

  it('returns a plain answer with normalized usage and stop reason', async () => {
    fake.enqueue(openAiText('Paris.', { promptTokens: 21, completionTokens: 3, model: 'gpt-fake-x' }));
    const res = await provider.complete({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Be terse.' },
        { role: 'user', content: 'Capital of France?' },
      ],
      maxOutputTokens: 50,
    });
    expect(res).toEqual({
      provider: 'openai',
      model: 'gpt-fake-x',
      text: 'Paris.',
      toolCalls: [],
      stopReason: 'end',
      usage: { inputTokens: 21, outputTokens: 3 },
    });
    const sent = fake.chatRequests().at(-1)!;
    expect(sent.model).toBe('gpt-4o-mini');
    expect(sent.max_completion_tokens).toBe(50);
    expect(sent.messages).toEqual([
      { role: 'system', content: 'Be terse.' },
      { role: 'user', content: 'Capital of France?' },
    ]);
  });

  it('round-trips a tool call: wire names encoded, arguments parsed, results sent back', async () => {
    fake.enqueue(
      openAiToolCalls([{ id: 'call_1', name: 'workspace__read', arguments: { path: 'notes.md' } }]),
    );
    const first = await provider.complete({
      model: 'm',
      messages: [{ role: 'user', content: 'read it' }],
      tools: [tool],
    });
    expect(first.stopReason).toBe('tool_calls');
    expect(first.toolCalls).toEqual([
      { id: 'call_1', name: 'workspace.read', arguments: { path: 'notes.md' } },
    ]);
    const sentTools = fake.chatRequests().at(-1)!.tools as { function: { name: string } }[];
    expect(sentTools[0]!.function.name).toBe('workspace__read');

    fake.enqueue(openAiText('The notes say hi.'));
    const request: SlmRequest = {
      model: 'm',
      tools: [tool],
      messages: [
        { role: 'user', content: 'read it' },
        { role: 'assistant', content: '', toolCalls: first.toolCalls },
        { role: 'tool', toolCallId: 'call_1', content: 'hi' },
      ],
    };
    const second = await provider.complete(request);
    expect(second.text).toBe('The notes say hi.');
    const messages = fake.chatRequests().at(-1)!.messages as Record<string, unknown>[];
    expect(messages[1]).toEqual({
      role: 'assistant',
      content: null,
      tool_calls: [
        {
          id: 'call_1',
          type: 'function',
          function: { name: 'workspace__read', arguments: '{"path":"notes.md"}' },
        },
      ],
    });
    expect(messages[2]).toEqual({ role: 'tool', tool_call_id: 'call_1', content: 'hi' });
  });

  it('keeps invalid tool-call JSON as raw text for the tool validator to reject', async () => {
    fake.enqueue(openAiToolCalls([{ name: 'workspace__read', arguments: '{"path": ' }]));
    const res = await provider.complete({
      model: 'm',
      messages: [{ role: 'user', content: 'x' }],
      tools: [tool],
    });
    expect(res.toolCalls[0]!.arguments).toBe('{"path": ');
  });

  it('400 is a non-retryable SlmBadRequest', async () => {
    fake.enqueue(openAiError(400, "Invalid value for 'model'"));
    const f = await failureOf(
      provider.complete({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }),
    );
    expect(f.type).toBe(ERROR_TYPES.SlmBadRequest);
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toContain("Invalid value for 'model'");
    expect(f.cause?.name).toBe('SlmProviderError');
  });

  it('429 with Retry-After is a retryable SlmRateLimited carrying nextRetryDelay', async () => {
    fake.enqueue(
      openAiError(429, 'Rate limit reached', { type: 'requests', headers: { 'retry-after': '7' } }),
    );
    const f = await failureOf(provider.complete({ model: 'm', messages: [{ role: 'user', content: 'x' }] }));
    expect(f.type).toBe(ERROR_TYPES.SlmRateLimited);
    expect(f.nonRetryable).toBe(false);
    expect(f.nextRetryDelay).toBe(7000);
  });

  it('429 prefers retry-after-ms', async () => {
    fake.enqueue(
      openAiError(429, 'slow down', { headers: { 'retry-after-ms': '1500', 'retry-after': '2' } }),
    );
    const f = await failureOf(provider.complete({ model: 'm', messages: [{ role: 'user', content: 'x' }] }));
    expect(f.nextRetryDelay).toBe(1500);
  });

  it('500 is a retryable SlmUnavailable', async () => {
    fake.enqueue(openAiError(500, 'The server had an error', { type: 'server_error' }));
    const f = await failureOf(provider.complete({ model: 'm', messages: [{ role: 'user', content: 'x' }] }));
    expect(f.type).toBe(ERROR_TYPES.SlmUnavailable);
    expect(f.nonRetryable).toBe(false);
    expect(fake.pending()).toBe(0); // maxRetries: 0 — exactly one HTTP attempt per activity attempt
  });

  it('a wrong API key is a non-retryable SlmAuthFailed that never shows the key', async () => {
    const wrongKey = 'sk-wrong-key-abcdefghijklmnop987654';
    const bad = createOpenAiProvider({
      name: 'openai',
      client: new OpenAI({ apiKey: wrongKey, baseURL: fake.baseURL, maxRetries: 0 }),
      secrets: [wrongKey],
    });
    const f = await failureOf(bad.complete({ model: 'm', messages: [{ role: 'user', content: 'x' }] }));
    expect(f.type).toBe(ERROR_TYPES.SlmAuthFailed);
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toContain('401');
    expectNoSecret(f, wrongKey);
    // The fake really did echo it: the redaction is what kept it out.
    expect(fake.requests.at(-1)!.headers.authorization).toBe(`Bearer ${wrongKey}`);
  });

  it('an unreachable server is a retryable SlmUnavailable', async () => {
    const down = createOpenAiProvider({
      name: 'local',
      client: new OpenAI({ apiKey: 'x', baseURL: 'http://127.0.0.1:1/v1', maxRetries: 0 }),
    });
    const f = await failureOf(down.complete({ model: 'm', messages: [{ role: 'user', content: 'x' }] }));
    expect(f.type).toBe(ERROR_TYPES.SlmUnavailable);
    expect(f.nonRetryable).toBe(false);
  });
});

describe('OpenAI-compatible base URL (Ollama, vLLM, LM Studio)', () => {
  it('sends max_tokens and treats tool calls with finish_reason stop as tool calls', async () => {
    const fake = await startFakeOpenAi();
    try {
      const local = createOpenAiProvider({
        name: 'local',
        client: new OpenAI({ apiKey: 'ollama', baseURL: fake.baseURL, maxRetries: 0 }),
        maxTokensField: 'max_tokens',
      });
      const reply = openAiToolCalls([{ name: 'workspace__read', arguments: { path: 'a' } }], {
        model: 'llama3.2:3b',
      });
      (reply.body as { choices: { finish_reason: string }[] }).choices[0]!.finish_reason = 'stop';
      fake.enqueue(reply);
      const res = await local.complete({
        model: 'llama3.2:3b',
        messages: [{ role: 'user', content: 'x' }],
        tools: [tool],
      });
      expect(res.provider).toBe('local');
      expect(res.model).toBe('llama3.2:3b');
      expect(res.stopReason).toBe('tool_calls');
      expect(fake.chatRequests()[0]!.max_tokens).toBe(1024);
      expect(fake.chatRequests()[0]!.max_completion_tokens).toBeUndefined();
    } finally {
      await fake.close();
    }
  });
});

describe('Anthropic provider against the wire fake', () => {
  let fake: FakeAnthropic;
  let provider: SlmProvider;
  beforeAll(async () => {
    fake = await startFakeAnthropic({ apiKey: ANTHROPIC_KEY });
    provider = createAnthropicProvider({
      client: new Anthropic({ apiKey: ANTHROPIC_KEY, baseURL: fake.baseURL, maxRetries: 0 }),
      secrets: [ANTHROPIC_KEY],
    });
  });
  afterAll(() => fake.close());

  it('returns a plain answer; system goes top-level; cached input counts as input', async () => {
    fake.enqueue(anthropicText('Paris.', { inputTokens: 10, cacheReadInputTokens: 90, outputTokens: 4 }));
    const res = await provider.complete({
      model: 'claude-haiku',
      messages: [
        { role: 'system', content: 'Be terse.' },
        { role: 'user', content: 'Capital of France?' },
      ],
    });
    expect(res).toEqual({
      provider: 'anthropic',
      model: 'claude-fake-4',
      text: 'Paris.',
      toolCalls: [],
      stopReason: 'end',
      usage: { inputTokens: 100, outputTokens: 4 },
    });
    const sent = fake.messageRequests().at(-1)!;
    expect(sent.system).toBe('Be terse.');
    expect(sent.max_tokens).toBe(1024);
    expect(sent.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Capital of France?' }] },
    ]);
  });

  it('round-trips tool_use and tool_result blocks, merging parallel results into one user turn', async () => {
    fake.enqueue(
      anthropicToolUse(
        [
          { id: 'toolu_1', name: 'workspace__read', input: { path: 'a.md' } },
          { id: 'toolu_2', name: 'workspace__read', input: { path: 'b.md' } },
        ],
        { text: 'Reading both.' },
      ),
    );
    const first = await provider.complete({
      model: 'c',
      messages: [{ role: 'user', content: 'read' }],
      tools: [tool],
    });
    expect(first.stopReason).toBe('tool_calls');
    expect(first.text).toBe('Reading both.');
    expect(first.toolCalls).toEqual([
      { id: 'toolu_1', name: 'workspace.read', arguments: { path: 'a.md' } },
      { id: 'toolu_2', name: 'workspace.read', arguments: { path: 'b.md' } },
    ]);
    expect((fake.messageRequests().at(-1)!.tools as { name: string; input_schema: unknown }[])[0]).toEqual({
      name: 'workspace__read',
      description: 'Read a file',
      input_schema: tool.parameters,
    });

    fake.enqueue(anthropicText('Done.'));
    await provider.complete({
      model: 'c',
      tools: [tool],
      messages: [
        { role: 'user', content: 'read' },
        { role: 'assistant', content: 'Reading both.', toolCalls: first.toolCalls },
        { role: 'tool', toolCallId: 'toolu_1', content: 'A' },
        { role: 'tool', toolCallId: 'toolu_2', content: 'no such file', isError: true },
      ],
    });
    const messages = fake.messageRequests().at(-1)!.messages as unknown[];
    expect(messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'read' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Reading both.' },
          { type: 'tool_use', id: 'toolu_1', name: 'workspace__read', input: { path: 'a.md' } },
          { type: 'tool_use', id: 'toolu_2', name: 'workspace__read', input: { path: 'b.md' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: 'A' },
          { type: 'tool_result', tool_use_id: 'toolu_2', content: 'no such file', is_error: true },
        ],
      },
    ]);
  });

  it('400 is a non-retryable SlmBadRequest', async () => {
    fake.enqueue(anthropicError(400, 'invalid_request_error', 'max_tokens: must be positive'));
    const f = await failureOf(provider.complete({ model: 'c', messages: [{ role: 'user', content: 'x' }] }));
    expect(f.type).toBe(ERROR_TYPES.SlmBadRequest);
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toContain('max_tokens: must be positive');
  });

  it('429 with Retry-After is retryable with nextRetryDelay', async () => {
    fake.enqueue(
      anthropicError(429, 'rate_limit_error', 'Number of requests exceeded', { 'retry-after': '3' }),
    );
    const f = await failureOf(provider.complete({ model: 'c', messages: [{ role: 'user', content: 'x' }] }));
    expect(f.type).toBe(ERROR_TYPES.SlmRateLimited);
    expect(f.nonRetryable).toBe(false);
    expect(f.nextRetryDelay).toBe(3000);
  });

  it('500 and 529 overloaded are retryable SlmUnavailable', async () => {
    fake.enqueue(anthropicError(500, 'api_error', 'Internal server error'));
    fake.enqueue(anthropicError(529, 'overloaded_error', 'Overloaded'));
    for (let i = 0; i < 2; i++) {
      const f = await failureOf(
        provider.complete({ model: 'c', messages: [{ role: 'user', content: 'x' }] }),
      );
      expect(f.type).toBe(ERROR_TYPES.SlmUnavailable);
      expect(f.nonRetryable).toBe(false);
    }
  });

  it('a wrong API key is SlmAuthFailed and the key appears nowhere in the failure', async () => {
    const wrongKey = 'sk-ant-wrong-abcdefghijklmnop987654';
    const bad = createAnthropicProvider({
      client: new Anthropic({ apiKey: wrongKey, baseURL: fake.baseURL, maxRetries: 0 }),
      secrets: [wrongKey],
    });
    const f = await failureOf(bad.complete({ model: 'c', messages: [{ role: 'user', content: 'x' }] }));
    expect(f.type).toBe(ERROR_TYPES.SlmAuthFailed);
    expectNoSecret(f, wrongKey);
    expect(presentedKey(fake.requests.at(-1)!.headers)).toBe(wrongKey);
  });
});
