import { retryAfterMs } from '../../../activities/slm/provider-errors';
import { redactSecrets } from '../../../activities/slm/redact';
import { toolNameDecoder, toWireToolName } from '../../../activities/slm/tool-names';
import { toAnthropicRequest } from '../../../activities/slm/anthropic-provider';
import { toOpenAiRequest } from '../../../activities/slm/openai-provider';
import { failure } from '../../../activities/shared/failures';
import { ERROR_TYPES, NON_RETRYABLE_ERROR_TYPES } from '../../../activities/shared/error-types';

describe('Retry-After parsing', () => {
  const h = (entries: Record<string, string>) => new Headers(entries);
  it('reads retry-after-ms, seconds, and HTTP dates', () => {
    expect(retryAfterMs(h({ 'retry-after-ms': '250' }))).toBe(250);
    expect(retryAfterMs(h({ 'retry-after': '1.5' }))).toBe(1500);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs(h({ 'retry-after': 'Thu, 01 Jan 2026 00:00:30 GMT' }), now)).toBe(30_000);
    expect(retryAfterMs(h({ 'retry-after': 'Wed, 31 Dec 2025 23:00:00 GMT' }), now)).toBe(0);
  });
  it('gives undefined when absent or unreadable', () => {
    expect(retryAfterMs(undefined)).toBeUndefined();
    expect(retryAfterMs(h({}))).toBeUndefined();
    expect(retryAfterMs(h({ 'retry-after': 'soon' }))).toBeUndefined();
  });
});

describe('redactSecrets', () => {
  const key = 'sk-proj-ABCDEFGHijklmnopQRSTUVWXyz012345';
  it('removes the key, masked fragments of it, and key-shaped strings', () => {
    const text = `Incorrect API key provided: ${key}. Also sk-proj-ABCD****2345 and ${key.slice(0, 8)}...${key.slice(-8)}`;
    const out = redactSecrets(text, [key]);
    expect(out).not.toContain(key);
    expect(out).not.toContain(key.slice(0, 8));
    expect(out).not.toContain(key.slice(-8));
    expect(redactSecrets('token sk-other-1234567890 here', [])).toBe('token *** here');
    expect(redactSecrets('Authorization: Bearer abc.def-ghi', [])).toBe('Authorization: ***');
  });
  it('leaves ordinary text alone', () => {
    expect(redactSecrets("Invalid value for 'model': gpt-9", [key])).toBe("Invalid value for 'model': gpt-9");
  });
});

describe('tool name wire encoding', () => {
  it('round-trips dotted ids and passes unknown names through', () => {
    expect(toWireToolName('workspace.read')).toBe('workspace__read');
    const decode = toolNameDecoder(['workspace.read', 'memory.recall', 'finish']);
    expect(decode('workspace__read')).toBe('workspace.read');
    expect(decode('finish')).toBe('finish');
    expect(decode('made_up')).toBe('made_up');
  });
});

describe('request translation', () => {
  it('Anthropic: joins system prompts, starts with a user turn, keeps empty assistant text out', () => {
    const req = toAnthropicRequest({
      model: 'c',
      messages: [
        { role: 'system', content: 'A' },
        { role: 'system', content: 'B' },
        { role: 'user', content: 'q' },
        {
          role: 'assistant',
          content: '',
          toolCalls: [{ id: 't1', name: 'memory.recall', arguments: { query: 'x' } }],
        },
        { role: 'tool', toolCallId: 't1', content: '[]' },
        { role: 'user', content: 'and?' },
      ],
      temperature: 0.2,
    });
    expect(req.system).toBe('A\n\nB');
    expect(req).not.toHaveProperty('temperature');
    expect(req.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'q' }] },
      {
        role: 'assistant',
        content: [{ type: 'tool_use', id: 't1', name: 'memory__recall', input: { query: 'x' } }],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 't1', content: '[]' },
          { type: 'text', text: 'and?' },
        ],
      },
    ]);
  });
  it('OpenAI: omits tools when none, keeps raw argument text as is', () => {
    const req = toOpenAiRequest({
      model: 'm',
      messages: [
        { role: 'assistant', content: 'x', toolCalls: [{ id: 'c', name: 'a.b', arguments: '{bad' }] },
      ],
    });
    expect(req.tools).toBeUndefined();
    const failed = toOpenAiRequest({
      model: 'm',
      messages: [{ role: 'tool', toolCallId: 'c', content: 'no such file', isError: true }],
    });
    expect(failed.messages[0]).toEqual({ role: 'tool', tool_call_id: 'c', content: 'ERROR: no such file' });
    expect(req.messages[0]).toMatchObject({
      tool_calls: [{ function: { name: 'a__b', arguments: '{bad' } }],
    });
  });
});

describe('failure()', () => {
  it('derives nonRetryable from the type and carries details and nextRetryDelay', () => {
    for (const type of Object.values(ERROR_TYPES)) {
      expect(failure(type, 'm').nonRetryable).toBe(NON_RETRYABLE_ERROR_TYPES.includes(type));
    }
    const f = failure(ERROR_TYPES.SlmRateLimited, 'slow', {
      nextRetryDelay: 1200,
      details: { provider: 'openai' },
    });
    expect(f).toMatchObject({
      type: 'SlmRateLimited',
      nonRetryable: false,
      nextRetryDelay: 1200,
      details: [{ provider: 'openai' }],
    });
    expect(failure(ERROR_TYPES.ApprovalRequired, 'wait').nonRetryable).toBe(false);
  });
});
