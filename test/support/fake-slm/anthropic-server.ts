import type { IncomingHttpHeaders } from 'node:http';
import { startScriptedServer, type ScriptedReply, type ScriptedServer } from './scripted-server';

/**
 * A local server speaking the Anthropic Messages protocol (`POST /v1/messages`) with scripted
 * replies. When `apiKey` is set, a wrong key (`x-api-key` or bearer) gets Anthropic's 401 error shape. Requests
 * without `anthropic-version` are rejected, as the real API does.
 */
export interface FakeAnthropic extends ScriptedServer {
  /** Base URL for the SDK (it appends `/v1/messages`). */
  readonly baseURL: string;
  messageRequests(): Record<string, unknown>[];
}

export async function startFakeAnthropic({ apiKey }: { apiKey?: string } = {}): Promise<FakeAnthropic> {
  const server = await startScriptedServer((request, next) => {
    if (apiKey !== undefined && presentedKey(request.headers) !== apiKey) {
      return anthropicError(401, 'authentication_error', 'invalid x-api-key');
    }
    if (!request.headers['anthropic-version']) {
      return anthropicError(400, 'invalid_request_error', 'anthropic-version: header is required');
    }
    if (request.method !== 'POST' || request.path !== '/v1/messages') {
      return anthropicError(404, 'not_found_error', `Not found: ${request.method} ${request.path}`);
    }
    return next() ?? anthropicError(500, 'api_error', 'fake-anthropic: no scripted reply left');
  });
  return {
    ...server,
    baseURL: server.url,
    messageRequests: () =>
      server.requests.filter((r) => r.path === '/v1/messages').map((r) => r.body as Record<string, unknown>),
  };
}

/** The key a client presented: `x-api-key`, or `Authorization: Bearer` (newer SDKs). */
export function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const header = headers['x-api-key'];
  if (typeof header === 'string') return header;
  const auth = headers.authorization;
  return auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length) : undefined;
}

let sequence = 0;

interface UsageOptions {
  inputTokens?: number;
  outputTokens?: number;
  cacheReadInputTokens?: number;
  model?: string;
}

function message(
  content: Record<string, unknown>[],
  stopReason: string,
  options: UsageOptions,
): ScriptedReply {
  return {
    body: {
      id: `msg_fake_${++sequence}`,
      type: 'message',
      role: 'assistant',
      model: options.model ?? 'claude-fake-4',
      content,
      stop_reason: stopReason,
      stop_sequence: null,
      usage: {
        input_tokens: options.inputTokens ?? 13,
        output_tokens: options.outputTokens ?? 5,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: options.cacheReadInputTokens ?? 0,
      },
    },
  };
}

/** A final text answer. */
export function anthropicText(text: string, options: UsageOptions = {}): ScriptedReply {
  return message([{ type: 'text', text }], 'end_turn', options);
}

/** An answer with optional text followed by `tool_use` blocks (wire names). */
export function anthropicToolUse(
  calls: { id?: string; name: string; input: unknown }[],
  { text, ...options }: UsageOptions & { text?: string } = {},
): ScriptedReply {
  const blocks: Record<string, unknown>[] = text ? [{ type: 'text', text }] : [];
  calls.forEach((call, i) =>
    blocks.push({
      type: 'tool_use',
      id: call.id ?? `toolu_fake_${sequence}_${i}`,
      name: call.name,
      input: call.input,
    }),
  );
  return message(blocks, 'tool_use', options);
}

/** An error in Anthropic's shape: `{ type: 'error', error: { type, message } }`. */
export function anthropicError(
  status: number,
  type: string,
  errorMessage: string,
  headers?: Record<string, string>,
): ScriptedReply {
  return {
    status,
    headers: { 'request-id': `req_fake_${++sequence}`, ...headers },
    body: { type: 'error', error: { type, message: errorMessage } },
  };
}
