import type Anthropic from '@anthropic-ai/sdk';
import type {
  ContentBlockParam,
  Message,
  MessageCreateParamsNonStreaming,
  MessageParam,
  Tool,
} from '@anthropic-ai/sdk/resources/messages/messages';
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

export interface AnthropicProviderOptions {
  /** Name the provider is configured under. @default 'anthropic' */
  name?: string;
  /** Built once per process with `maxRetries: 0`. */
  client: Anthropic;
  /** Values to scrub from provider error text (the API key). */
  secrets?: readonly string[];
}

/** Provider for the Anthropic Messages API. */
export function createAnthropicProvider({
  name = 'anthropic',
  client,
  secrets = [],
}: AnthropicProviderOptions): SlmProvider {
  return {
    name,
    kind: 'anthropic',
    async complete(request, { signal } = {}) {
      const body = toAnthropicRequest(request);
      let message: Message;
      try {
        message = await client.messages.create(body, { signal });
      } catch (err) {
        throw toSlmFailure(err, name, secrets);
      }
      return fromAnthropicResponse(message, name, request);
    },
  };
}

function assistantBlocks(message: Extract<SlmMessage, { role: 'assistant' }>): ContentBlockParam[] {
  const blocks: ContentBlockParam[] = message.content ? [{ type: 'text', text: message.content }] : [];
  for (const call of message.toolCalls ?? []) {
    blocks.push({
      type: 'tool_use',
      id: call.id,
      name: toWireToolName(call.name),
      input: call.arguments ?? {},
    });
  }
  return blocks;
}

/**
 * Anthropic takes the system prompt apart from the turns, and tool results as `tool_result`
 * blocks inside a user turn; consecutive tool messages (parallel calls) share one user turn.
 * `temperature` is not sent: the Messages API version this SDK speaks no longer takes it.
 */
export function toAnthropicRequest(request: SlmRequest): MessageCreateParamsNonStreaming {
  const system = request.messages
    .filter((m) => m.role === 'system')
    .map((m) => m.content)
    .join('\n\n');
  const messages: MessageParam[] = [];
  for (const message of request.messages) {
    if (message.role === 'system') continue;
    const last = messages[messages.length - 1];
    if (message.role === 'assistant') {
      messages.push({ role: 'assistant', content: assistantBlocks(message) });
      continue;
    }
    const block: ContentBlockParam =
      message.role === 'tool'
        ? {
            type: 'tool_result',
            tool_use_id: message.toolCallId,
            content: message.content,
            ...(message.isError ? { is_error: true } : {}),
          }
        : { type: 'text', text: message.content };
    if (last?.role === 'user' && Array.isArray(last.content)) {
      last.content.push(block);
    } else {
      messages.push({ role: 'user', content: [block] });
    }
  }
  const tools: Tool[] | undefined = request.tools?.length
    ? request.tools.map((tool) => ({
        name: toWireToolName(tool.name),
        description: tool.description,
        input_schema: { type: 'object', ...tool.parameters },
      }))
    : undefined;
  return {
    model: request.model,
    max_tokens: request.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS,
    messages,
    ...(system ? { system } : {}),
    ...(tools ? { tools } : {}),
  };
}

const STOP_REASONS: Record<string, SlmStopReason> = {
  end_turn: 'end',
  stop_sequence: 'end',
  tool_use: 'tool_calls',
  max_tokens: 'max_tokens',
  model_context_window_exceeded: 'max_tokens',
  refusal: 'content_filter',
};

export function fromAnthropicResponse(message: Message, provider: string, request: SlmRequest): SlmResponse {
  const decode = toolNameDecoder((request.tools ?? []).map((t) => t.name));
  const text: string[] = [];
  const toolCalls: SlmToolCall[] = [];
  for (const block of message.content) {
    if (block.type === 'text') text.push(block.text);
    else if (block.type === 'tool_use')
      toolCalls.push({ id: block.id, name: decode(block.name), arguments: block.input });
  }
  const usage = message.usage;
  return {
    provider,
    model: message.model || request.model,
    text: text.join(''),
    toolCalls,
    stopReason: STOP_REASONS[message.stop_reason ?? ''] ?? 'other',
    usage: {
      // Cached prompt tokens are still input the model read (and are billed, at other rates).
      inputTokens:
        (usage?.input_tokens ?? 0) +
        (usage?.cache_read_input_tokens ?? 0) +
        (usage?.cache_creation_input_tokens ?? 0),
      outputTokens: usage?.output_tokens ?? 0,
    },
  };
}
