/**
 * The provider-neutral shape of a model call. Workflows build `SlmRequest`s and read
 * `SlmResponse`s; providers translate to and from their wire protocol. Plain JSON throughout, so
 * requests and responses travel through workflow history unchanged.
 */

export type SlmRole = 'system' | 'user' | 'assistant' | 'tool';

export type SlmMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string; toolCalls?: SlmToolCall[] }
  | {
      role: 'tool';
      /** The `SlmToolCall.id` this message answers. */
      toolCallId: string;
      content: string;
      /** The tool failed; `content` explains why (Anthropic marks the block `is_error`). */
      isError?: boolean;
    };

/** A tool the model may call; `parameters` is a JSON Schema object of its arguments. */
export interface SlmToolDefinition {
  /** Tool id as the platform knows it (e.g. `workspace.read`); providers encode it for the wire. */
  name: string;
  description: string;
  parameters: Record<string, unknown>;
  /**
   * The arguments must match `parameters` exactly (OpenAI strict function calling; the schema is
   * then in strict form: every property required, nullable when optional, no extra properties).
   */
  strict?: boolean;
}

export interface SlmToolCall {
  /** Provider-assigned id, echoed back in the answering `tool` message. */
  id: string;
  /** Platform tool id (decoded from the provider's wire name). */
  name: string;
  /** Parsed JSON arguments; the raw text when the model produced invalid JSON. */
  arguments: unknown;
}

export interface SlmUsage {
  inputTokens: number;
  outputTokens: number;
}

/** Why the model stopped: a final answer, tool calls to run, the token cap, or a filter. */
export type SlmStopReason = 'end' | 'tool_calls' | 'max_tokens' | 'content_filter' | 'other';

export interface SlmRequest {
  model: string;
  messages: SlmMessage[];
  tools?: SlmToolDefinition[];
  /** Cap on generated tokens. @default 1024 */
  maxOutputTokens?: number;
  /** Sampling temperature (OpenAI-compatible providers; Anthropic ignores it). */
  temperature?: number;
}

export interface SlmResponse {
  /** Name of the configured provider that answered (e.g. `openai`, `anthropic`, `local`). */
  provider: string;
  /** Model as reported by the provider (may be more specific than the one requested). */
  model: string;
  /** Final text of the turn; empty when the model only called tools. */
  text: string;
  toolCalls: SlmToolCall[];
  stopReason: SlmStopReason;
  usage: SlmUsage;
}

export type ProviderKind = 'openai' | 'anthropic';

/** One configured provider; built once per process with its client (`maxRetries: 0`). */
export interface SlmProvider {
  readonly name: string;
  readonly kind: ProviderKind;
  /**
   * Calls the model. Throws an `ApplicationFailure` (SlmBadRequest, SlmAuthFailed,
   * SlmRateLimited, SlmUnavailable) whose message and cause never contain the API key.
   */
  complete(request: SlmRequest, options?: { signal?: AbortSignal }): Promise<SlmResponse>;
}

export const DEFAULT_MAX_OUTPUT_TOKENS = 1024;
