import { createHash } from 'node:crypto';
import {
  startScriptedServer,
  type RecordedRequest,
  type ScriptedReply,
  type ScriptedServer,
} from './scripted-server';

/**
 * A local server speaking the OpenAI wire protocol (`POST /v1/chat/completions`,
 * `POST /v1/embeddings`): chat replies come from the scripted queue; embeddings are computed
 * (hashed bag of words), so similar texts get similar vectors. When `apiKey` is set, a wrong
 * `Authorization: Bearer` gets the real 401 shape, which echoes part of the key as OpenAI does.
 */
export interface FakeOpenAi extends ScriptedServer {
  /** Base URL for the SDK: `${url}/v1`. */
  readonly baseURL: string;
  /** Chat completion requests' bodies, in order. */
  chatRequests(): Record<string, unknown>[];
}

export const EMBEDDING_DIMENSIONS = 64;

export async function startFakeOpenAi({ apiKey }: { apiKey?: string } = {}): Promise<FakeOpenAi> {
  const server = await startScriptedServer((request, next) => {
    if (apiKey !== undefined && request.headers.authorization !== `Bearer ${apiKey}`) {
      const given = String(request.headers.authorization ?? '').replace(/^Bearer /, '');
      return openAiError(
        401,
        `Incorrect API key provided: ${given}. You can find your API key in your settings.`,
        {
          type: 'invalid_request_error',
          code: 'invalid_api_key',
        },
      );
    }
    if (request.method === 'POST' && request.path === '/v1/embeddings') return embeddingsReply(request);
    if (request.method !== 'POST' || request.path !== '/v1/chat/completions') {
      return openAiError(404, `Unknown request URL: ${request.method} ${request.path}`, {
        type: 'invalid_request_error',
      });
    }
    return next() ?? openAiError(500, 'fake-openai: no scripted reply left', { type: 'server_error' });
  });
  return {
    ...server,
    baseURL: `${server.url}/v1`,
    chatRequests: () =>
      server.requests
        .filter((r) => r.path === '/v1/chat/completions')
        .map((r) => r.body as Record<string, unknown>),
  };
}

let sequence = 0;

interface UsageOptions {
  promptTokens?: number;
  completionTokens?: number;
  model?: string;
}

function completion(
  message: Record<string, unknown>,
  finishReason: string,
  options: UsageOptions,
): ScriptedReply {
  const promptTokens = options.promptTokens ?? 11;
  const completionTokens = options.completionTokens ?? 7;
  return {
    body: {
      id: `chatcmpl-fake-${++sequence}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: options.model ?? 'gpt-fake-2025',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', refusal: null, ...message },
          finish_reason: finishReason,
          logprobs: null,
        },
      ],
      usage: {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
      },
    },
  };
}

/** A final text answer. */
export function openAiText(text: string, options: UsageOptions = {}): ScriptedReply {
  return completion({ content: text }, 'stop', options);
}

/** An answer that calls tools; `name` is the wire name (dots already encoded by the caller). */
export function openAiToolCalls(
  calls: { id?: string; name: string; arguments: unknown }[],
  options: UsageOptions = {},
): ScriptedReply {
  return completion(
    {
      content: null,
      tool_calls: calls.map((call, i) => ({
        id: call.id ?? `call_fake_${sequence}_${i}`,
        type: 'function',
        function: {
          name: call.name,
          arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
        },
      })),
    },
    'tool_calls',
    options,
  );
}

/** An error in OpenAI's shape: `{ error: { message, type, param, code } }`. */
export function openAiError(
  status: number,
  message: string,
  {
    type = 'invalid_request_error',
    code = null,
    headers,
  }: { type?: string; code?: string | null; headers?: Record<string, string> } = {},
): ScriptedReply {
  return { status, headers, body: { error: { message, type, param: null, code } } };
}

/** Deterministic embedding: each lower-cased word adds 1 to a hashed dimension, then L2-normalized. */
export function fakeEmbedding(text: string): number[] {
  const vector = new Array<number>(EMBEDDING_DIMENSIONS).fill(0);
  for (const word of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
    const index = createHash('sha256').update(word).digest().readUInt32BE(0) % EMBEDDING_DIMENSIONS;
    vector[index]! += 1;
  }
  const norm = Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0)) || 1;
  return vector.map((x) => x / norm);
}

/** The answer to `POST /v1/embeddings`: {@link fakeEmbedding} of every input, in OpenAI's shape. */
export function embeddingsReply(request: RecordedRequest): ScriptedReply {
  const body = request.body as {
    input: string | string[];
    model: string;
    encoding_format?: 'float' | 'base64';
  };
  const inputs = Array.isArray(body.input) ? body.input : [body.input];
  // The SDK asks for base64 (little-endian float32) by default and decodes it, as the API does.
  const encode = (vector: number[]) =>
    body.encoding_format === 'base64'
      ? Buffer.from(new Float32Array(vector).buffer).toString('base64')
      : vector;
  return {
    body: {
      object: 'list',
      model: body.model,
      data: inputs.map((text, index) => ({
        object: 'embedding',
        index,
        embedding: encode(fakeEmbedding(text)),
      })),
      usage: {
        prompt_tokens: inputs.join(' ').split(/\s+/).length,
        total_tokens: inputs.join(' ').split(/\s+/).length,
      },
    },
  };
}
