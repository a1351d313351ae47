import type OpenAI from 'openai';
import type {
  ChatCompletion,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from 'openai/resources/chat/completions';
import { toSlmFailure } from './provider-errors';
import { toolNameDecoder, toWireToolName } from './tool-names';
import {
  DEFAULT_MAX_OUTPUT_TOKENS,
  type SlmMessage,
  type SlmProvider,
  type SlmRequest,
  type SlmResponse,
  type SlmStopReason,
  type SlmToolCall,
} from './types';

export interface OpenAiProviderOptions {
  /** Name the provider is configured under (`openai`, `local`, ...). */
  name: string;
  /** Built once per process with `maxRetries: 0`; any OpenAI-compatible base URL works. */
  client: OpenAI;
  /** Values to scrub from provider error text (the API key). */
  secrets?: readonly string[];
  /**
   * Field that caps output: OpenAI's newer models take `max_completion_tokens`, while most
   * compatible servers (Ollama, vLLM, LM Studio) only know `max_tokens`.
   * @default 'max_completion_tokens'
   */
  maxTokensField?: 'max_completion_tokens' | 'max_tokens';
}

/** Provider for the OpenAI Chat Completions API and every server that speaks it. */
export function createOpenAiProvider({
  name,
  client,
  secrets = [],
  maxTokensField = 'max_completion_tokens',
}: OpenAiProviderOptions): SlmProvider {
  return {
    name,
    kind: 'openai',
    async complete(request, { signal } = {}) {
      const body = toOpenAiRequest(request, maxTokensField);
      let completion: ChatCompletion;
      try {
        completion = await client.chat.completions.create(body, { signal });
      } catch (err) {
        throw toSlmFailure(err, name, secrets);
      }
      return fromOpenAiResponse(completion, name, request);
    },
  };
}

function toOpenAiMessage(message: SlmMessage): ChatCompletionMessageParam {
  switch (message.role) {
    case 'system':
    case 'user':
      return { role: message.role, content: message.content };
    case 'assistant':
      return {
        role: 'assistant',
        content: message.content || null,
        ...(message.toolCalls?.length
          ? {
              tool_calls: message.toolCalls.map((call) => ({
                id: call.id,
                type: 'function' as const,
                function: {
                  name: toWireToolName(call.name),
                  arguments:
                    typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
                },
              })),
            }
          : {}),
      };
    case 'tool':
      // Chat Completions has no error flag on tool results: say it in the text.
      return {
        role: 'tool',
        tool_call_id: message.toolCallId,
        content: message.isError ? `ERROR: ${message.content}` : message.content,
      };
  }
}

export function toOpenAiRequest(
  request: SlmRequest,
  maxTokensField: 'max_completion_tokens' | 'max_tokens' = 'max_completion_tokens',
): ChatCompletionCreateParamsNonStreaming {
  const tools: ChatCompletionTool[] | undefined = request.tools?.length
    ? request.tools.map((tool) => ({
        type: 'function',
        function: {
          name: toWireToolName(tool.name),
          description: tool.description,
          parameters: tool.parameters,
          ...(tool.strict ? { strict: true } : {}),
        },
      }))
    : undefined;
  return {
    model: request.model,
    messages: request.messages.map(toOpenAiMessage),
    [maxTokensField]: request.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS,
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(tools ? { tools } : {}),
  };
}

const STOP_REASONS: Record<string, SlmStopReason> = {
  stop: 'end',
  tool_calls: 'tool_calls',
  function_call: 'tool_calls',
  length: 'max_tokens',
  content_filter: 'content_filter',
};

function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export function fromOpenAiResponse(
  completion: ChatCompletion,
  provider: string,
  request: SlmRequest,
): SlmResponse {
  const choice = completion.choices[0];
  const decode = toolNameDecoder((request.tools ?? []).map((t) => t.name));
  const toolCalls: SlmToolCall[] = (choice?.message.tool_calls ?? []).flatMap((call) =>
    call.type === 'function'
      ? [
          {
            id: call.id,
            name: decode(call.function.name),
            arguments: parseArguments(call.function.arguments),
          },
        ]
      : [],
  );
  const finish = choice?.finish_reason ?? '';
  return {
    provider,
    model: completion.model || request.model,
    text: choice?.message.content ?? '',
    toolCalls,
    // Some compatible servers answer `stop` even when they return tool calls.
    stopReason: toolCalls.length > 0 ? 'tool_calls' : (STOP_REASONS[finish] ?? 'other'),
    usage: {
      inputTokens: completion.usage?.prompt_tokens ?? 0,
      outputTokens: completion.usage?.completion_tokens ?? 0,
    },
  };
}
