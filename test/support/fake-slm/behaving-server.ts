import { randomBytes } from 'node:crypto';
import {
  decideTurn,
  narrate,
  type BehaviourOptions,
  type Conversation,
  type ConversationTool,
  type ConversationTurn,
  type ModelTurn,
  type ToolChoice,
} from './agent-behaviour';
import { anthropicError, anthropicText, anthropicToolUse, presentedKey } from './anthropic-server';
import { embeddingsReply, openAiError, openAiText, openAiToolCalls } from './openai-server';
import type { JsonSchema } from './schema-answer';
import {
  startScriptedServer,
  type RecordedRequest,
  type ScriptedReply,
  type ScriptedServer,
} from './scripted-server';

/**
 * A model double that behaves instead of replaying a script: it reads the conversation it is
 * sent and answers as a capable agent would (read the files the instruction names, write the
 * files it asks for, remember when told, then `finish` with arguments that fit the tool's
 * schema), over the real OpenAI Chat Completions and Anthropic Messages wire protocols. Replies
 * enqueued with `enqueue`/`enqueueWhen` still go first, so a test can inject an error.
 */

export interface BehavingModelOptions extends BehaviourOptions {
  /** When set, requests with another key get the provider's 401. */
  apiKey?: string;
  /**
   * Port on 127.0.0.1.
   * @default 0 (any free port)
   */
  port?: number;
  /**
   * Answer every request this much later (to exercise timeouts and concurrency).
   * @default 0
   */
  delayMs?: number;
  /**
   * Reject requests the real API rejects with a 400 in its shape (tool results without their
   * call, calls without results, tool names with dots, non-strict schemas marked `strict`).
   * @default true
   */
  validateRequests?: boolean;
  /**
   * Behaviour for requests naming a model (the body's `model`, without provider), over the
   * options above: `{ 'gpt-4.1-nano': { offSchemaFinishes: 2 } }` makes one model of the server
   * behave badly while the others behave, so one worker can run both against it.
   * @default {}
   */
  models?: Record<string, BehaviourOptions>;
}

export interface BehavingOpenAi extends ScriptedServer {
  /** Base URL for the `openai` SDK: `${url}/v1`. */
  readonly baseURL: string;
  /** Chat completion request bodies, in order. */
  chatRequests(): Record<string, unknown>[];
}

export interface BehavingAnthropic extends ScriptedServer {
  /** Base URL for the `@anthropic-ai/sdk` client (it appends `/v1/messages`). */
  readonly baseURL: string;
  /** Messages request bodies, in order. */
  messageRequests(): Record<string, unknown>[];
}

/** One server speaking both protocols: OpenAI under `${url}/v1`, Anthropic at `${url}`. */
export interface BehavingModel extends ScriptedServer {
  readonly openAiBaseURL: string;
  readonly anthropicBaseURL: string;
  chatRequests(): Record<string, unknown>[];
  messageRequests(): Record<string, unknown>[];
}

type Protocol = 'openai' | 'anthropic';

/** Starts a behaving model on the OpenAI protocol (`/v1/chat/completions`, `/v1/embeddings`). */
export async function startBehavingOpenAi(options: BehavingModelOptions = {}): Promise<BehavingOpenAi> {
  const server = await startServer(['openai'], options);
  return { ...server, baseURL: server.openAiBaseURL };
}

/** Starts a behaving model on the Anthropic Messages protocol (`/v1/messages`). */
export async function startBehavingAnthropic(options: BehavingModelOptions = {}): Promise<BehavingAnthropic> {
  const server = await startServer(['anthropic'], options);
  return { ...server, baseURL: server.anthropicBaseURL };
}

/** Starts a behaving model speaking both protocols on one port. */
export function startBehavingModel(options: BehavingModelOptions = {}): Promise<BehavingModel> {
  return startServer(['openai', 'anthropic'], options);
}

async function startServer(protocols: Protocol[], options: BehavingModelOptions): Promise<BehavingModel> {
  const { apiKey, port, delayMs = 0, validateRequests = true } = options;
  const serves = (p: Protocol) => protocols.includes(p);
  const server = await startScriptedServer(
    (request, next) => {
      const reply = route(request, next);
      return delayMs > 0 && !reply.delayMs ? { ...reply, delayMs } : reply;
    },
    { port },
  );

  function behaviourFor(body: unknown): BehaviourOptions {
    const name = isRecord(body) && typeof body.model === 'string' ? body.model : undefined;
    const own = name === undefined ? undefined : options.models?.[name];
    return own ? { ...options, ...own } : options;
  }

  function route(request: RecordedRequest, next: () => ScriptedReply | undefined): ScriptedReply {
    const anthropicPath = request.path === '/v1/messages' || request.path.startsWith('/v1/messages?');
    if (serves('anthropic') && (anthropicPath || !serves('openai'))) {
      if (apiKey !== undefined && presentedKey(request.headers) !== apiKey) {
        return anthropicError(401, 'authentication_error', 'invalid x-api-key');
      }
      if (!request.headers['anthropic-version']) {
        return anthropicError(400, 'invalid_request_error', 'anthropic-version: header is required');
      }
      if (request.method !== 'POST' || !anthropicPath) {
        return anthropicError(404, 'not_found_error', `Not found: ${request.method} ${request.path}`);
      }
      return next() ?? anthropicReply(request.body, behaviourFor(request.body), validateRequests);
    }
    if (apiKey !== undefined && request.headers.authorization !== `Bearer ${apiKey}`) {
      const given = String(request.headers.authorization ?? '').replace(/^Bearer /, '');
      return openAiError(
        401,
        `Incorrect API key provided: ${given}. You can find your API key in your settings.`,
        {
          code: 'invalid_api_key',
        },
      );
    }
    if (request.method === 'POST' && request.path === '/v1/embeddings') return embeddingsReply(request);
    if (request.method !== 'POST' || request.path !== '/v1/chat/completions') {
      return openAiError(404, `Unknown request URL: ${request.method} ${request.path}`);
    }
    return next() ?? openAiReply(request.body, behaviourFor(request.body), validateRequests);
  }

  const bodies = (path: string) =>
    server.requests.filter((r) => r.path === path).map((r) => r.body as Record<string, unknown>);
  return {
    ...server,
    openAiBaseURL: `${server.url}/v1`,
    anthropicBaseURL: server.url,
    chatRequests: () => bodies('/v1/chat/completions'),
    messageRequests: () => bodies('/v1/messages'),
  };
}

/** A request the real API would refuse, with its message. */
class InvalidRequest extends Error {
  override readonly name = 'InvalidRequest';
  constructor(
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

type Json = Record<string, unknown>;

const isRecord = (value: unknown): value is Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Rough token count of a text: four characters a token, as OpenAI's rule of thumb has it. */
export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

function turnText(turn: ModelTurn): string {
  return turn.text + turn.toolCalls.map((c) => c.name + JSON.stringify(c.arguments)).join('');
}

function id(prefix: string): string {
  return `${prefix}${randomBytes(12).toString('base64url')}`;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** A tool result the platform marked as an error (Chat Completions has no flag for it). */
const ERROR_RESULT = /^\s*(error\b|refused:|not run:)/i;

const OPENAI_TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const ANTHROPIC_TOOL_NAME = /^[a-zA-Z0-9_-]{1,128}$/;

// ---------------------------------------------------------------------------------------------
// OpenAI Chat Completions

function openAiContentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => (isRecord(part) && typeof part.text === 'string' ? part.text : ''))
      .filter(Boolean)
      .join('\n');
  }
  return '';
}

export function conversationFromOpenAi(body: unknown, validate = true): Conversation {
  if (!isRecord(body)) throw new InvalidRequest('We could not parse the JSON body of your request.');
  if (typeof body.model !== 'string' || !body.model) {
    throw new InvalidRequest('you must provide a model parameter', 'model');
  }
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    throw new InvalidRequest("[] is too short - 'messages'", 'messages');
  }
  if (body.stream === true) {
    throw new InvalidRequest('behaving fake: streaming is not supported; send stream: false', 'stream');
  }
  const turns: ConversationTurn[] = [];
  let open = new Set<string>();
  body.messages.forEach((raw, i) => {
    if (!isRecord(raw)) throw new InvalidRequest(`Invalid type for 'messages[${i}]'`, `messages[${i}]`);
    const role = raw.role;
    if (validate && role !== 'tool' && open.size > 0) {
      throw new InvalidRequest(
        "An assistant message with 'tool_calls' must be followed by tool messages responding to each " +
          `'tool_call_id'. The following tool_call_ids did not have response messages: ${[...open].join(', ')}`,
        `messages.[${i}].role`,
      );
    }
    switch (role) {
      case 'system':
      case 'developer':
        turns.push({ role: 'system', text: openAiContentText(raw.content) });
        break;
      case 'user':
        turns.push({ role: 'user', text: openAiContentText(raw.content) });
        break;
      case 'assistant': {
        const calls = Array.isArray(raw.tool_calls) ? raw.tool_calls.filter(isRecord) : [];
        const toolCalls = calls.map((call) => {
          const fn = isRecord(call.function) ? call.function : {};
          return {
            id: String(call.id),
            name: String(fn.name),
            arguments: typeof fn.arguments === 'string' ? parseJson(fn.arguments) : fn.arguments,
          };
        });
        open = new Set(toolCalls.map((c) => c.id));
        turns.push({ role: 'assistant', text: openAiContentText(raw.content), toolCalls });
        break;
      }
      case 'tool': {
        const callId = typeof raw.tool_call_id === 'string' ? raw.tool_call_id : '';
        if (validate && !open.delete(callId)) {
          throw new InvalidRequest(
            "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
            `messages.[${i}].role`,
          );
        }
        const text = openAiContentText(raw.content);
        turns.push({ role: 'tool', toolCallId: callId, text, isError: ERROR_RESULT.test(text) });
        break;
      }
      default:
        throw new InvalidRequest(
          `Invalid value: '${String(role)}'. Supported values are: 'system', 'assistant', 'user', 'tool', and 'developer'.`,
          `messages[${i}].role`,
        );
    }
  });
  if (validate && open.size > 0) {
    throw new InvalidRequest(
      "An assistant message with 'tool_calls' must be followed by tool messages responding to each " +
        `'tool_call_id'. The following tool_call_ids did not have response messages: ${[...open].join(', ')}`,
      'messages',
    );
  }
  const tools: ConversationTool[] = [];
  (Array.isArray(body.tools) ? body.tools : []).forEach((raw, i) => {
    const fn = isRecord(raw) && isRecord(raw.function) ? raw.function : undefined;
    if (!fn || typeof fn.name !== 'string') {
      throw new InvalidRequest(`Missing required parameter: 'tools[${i}].function'.`, `tools[${i}].function`);
    }
    if (validate && !OPENAI_TOOL_NAME.test(fn.name)) {
      throw new InvalidRequest(
        `Invalid 'tools[${i}].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`,
        `tools[${i}].function.name`,
      );
    }
    const parameters = isRecord(fn.parameters) ? fn.parameters : { type: 'object', properties: {} };
    if (validate && fn.strict === true) checkStrict(parameters, `function '${fn.name}'`);
    tools.push({
      name: fn.name,
      parameters,
      ...(typeof fn.description === 'string' ? { description: fn.description } : {}),
    });
  });
  return {
    turns,
    tools,
    toolChoice: openAiToolChoice(body.tool_choice),
    parallelToolCalls: body.parallel_tool_calls !== false,
    ...openAiResponseFormat(body.response_format, validate),
  };
}

function openAiToolChoice(choice: unknown): ToolChoice {
  if (choice === 'none' || choice === 'required' || choice === 'auto') return choice;
  if (isRecord(choice) && isRecord(choice.function) && typeof choice.function.name === 'string') {
    return { name: choice.function.name };
  }
  return 'auto';
}

function openAiResponseFormat(format: unknown, validate: boolean): Pick<Conversation, 'responseFormat'> {
  if (!isRecord(format)) return {};
  if (format.type === 'json_object') return { responseFormat: { kind: 'json_object' } };
  if (format.type === 'json_schema') {
    const spec = isRecord(format.json_schema) ? format.json_schema : {};
    const schema = isRecord(spec.schema) ? spec.schema : { type: 'object', properties: {} };
    if (validate && spec.strict === true) {
      checkStrict(schema, `response_format '${typeof spec.name === 'string' ? spec.name : 'response'}'`);
    }
    return { responseFormat: { kind: 'json_schema', schema } };
  }
  return {};
}

/**
 * OpenAI's structured-outputs rules for a strict schema: every object says
 * `additionalProperties: false` and lists every property in `required`.
 */
function checkStrict(schema: JsonSchema, where: string): void {
  const visit = (node: unknown, context: string[]) => {
    if (!isRecord(node)) return;
    const types = Array.isArray(node.type) ? node.type : [node.type];
    const invalid = (message: string) =>
      new InvalidRequest(
        `Invalid schema for ${where}: In context=(${context.map((c) => `'${c}'`).join(', ')}), ${message}`,
      );
    if (types.includes('object') || isRecord(node.properties)) {
      if (node.additionalProperties !== false) {
        throw invalid("'additionalProperties' is required to be supplied and to be false.");
      }
      const properties = isRecord(node.properties) ? Object.keys(node.properties) : [];
      const required = Array.isArray(node.required) ? node.required : [];
      const missing = properties.find((p) => !required.includes(p));
      if (missing !== undefined) {
        throw invalid(
          `'required' is required to be supplied and to be an array including every key in properties. Missing '${missing}'.`,
        );
      }
      for (const [name, child] of Object.entries(isRecord(node.properties) ? node.properties : {})) {
        visit(child, [...context, 'properties', name]);
      }
    }
    if (node.items !== undefined) visit(node.items, [...context, 'items']);
    for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
      const branches = node[key];
      if (Array.isArray(branches)) branches.forEach((b, i) => visit(b, [...context, key, String(i)]));
    }
    for (const key of ['$defs', 'definitions'] as const) {
      const defs = node[key];
      if (isRecord(defs)) for (const [name, def] of Object.entries(defs)) visit(def, [...context, key, name]);
    }
  };
  visit(schema, []);
}

function promptText(conversation: Conversation): string {
  const turns = conversation.turns
    .map((t) => (t.role === 'assistant' ? t.text + JSON.stringify(t.toolCalls) : t.text))
    .join('\n');
  return turns + JSON.stringify(conversation.tools);
}

function openAiReply(body: unknown, options: BehaviourOptions, validate: boolean): ScriptedReply {
  let conversation: Conversation;
  try {
    conversation = conversationFromOpenAi(body, validate);
  } catch (err) {
    if (err instanceof InvalidRequest)
      return openAiError(400, err.message, { type: 'invalid_request_error' });
    throw err;
  }
  const turn = decideTurn(conversation, options);
  const usage = {
    model: (body as Json).model as string,
    promptTokens: estimateTokens(promptText(conversation)),
    completionTokens: estimateTokens(turnText(turn)),
  };
  if (turn.toolCalls.length === 0) return openAiText(turn.text, usage);
  return openAiToolCalls(
    turn.toolCalls.map((call) => ({ id: id('call_'), name: call.name, arguments: call.arguments })),
    usage,
  );
}

// ---------------------------------------------------------------------------------------------
// Anthropic Messages

function anthropicBlocks(content: unknown): Json[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return Array.isArray(content) ? content.filter(isRecord) : [];
}

function anthropicResultText(content: unknown): string {
  return anthropicBlocks(content)
    .map((b) => (b.type === 'text' && typeof b.text === 'string' ? b.text : ''))
    .filter(Boolean)
    .join('\n');
}

export function conversationFromAnthropic(body: unknown, validate = true): Conversation {
  if (!isRecord(body)) throw new InvalidRequest('Request body must be a JSON object');
  if (typeof body.model !== 'string' || !body.model) throw new InvalidRequest('model: Field required');
  if (typeof body.max_tokens !== 'number') throw new InvalidRequest('max_tokens: Field required');
  if (!Array.isArray(body.messages)) throw new InvalidRequest('messages: Field required');
  if (body.stream === true) {
    throw new InvalidRequest('behaving fake: streaming is not supported; send stream: false');
  }
  const turns: ConversationTurn[] = [];
  const system = typeof body.system === 'string' ? body.system : anthropicResultText(body.system);
  if (system) turns.push({ role: 'system', text: system });
  let open = new Set<string>();
  body.messages.forEach((raw, i) => {
    if (!isRecord(raw)) throw new InvalidRequest(`messages.${i}: Input should be a valid dictionary`);
    const blocks = anthropicBlocks(raw.content);
    if (raw.role === 'assistant') {
      const toolCalls = blocks
        .filter((b) => b.type === 'tool_use')
        .map((b) => ({ id: String(b.id), name: String(b.name), arguments: b.input }));
      const text = blocks
        .filter((b) => b.type === 'text')
        .map((b) => String(b.text))
        .join('');
      if (validate && open.size > 0) throw unanswered(i - 1, open);
      open = new Set(toolCalls.map((c) => c.id));
      turns.push({ role: 'assistant', text, toolCalls });
      return;
    }
    if (raw.role !== 'user') {
      throw new InvalidRequest(`messages.${i}.role: Input should be 'user' or 'assistant'`);
    }
    const texts: string[] = [];
    blocks.forEach((block, j) => {
      if (block.type === 'tool_result') {
        const callId = typeof block.tool_use_id === 'string' ? block.tool_use_id : '';
        if (validate && !open.delete(callId)) {
          throw new InvalidRequest(
            `messages.${i}.content.${j}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${callId}. ` +
              'Each `tool_result` block must have a corresponding `tool_use` block in the previous message.',
          );
        }
        turns.push({
          role: 'tool',
          toolCallId: callId,
          text: anthropicResultText(block.content),
          isError: block.is_error === true,
        });
      } else if (block.type === 'text' && typeof block.text === 'string') {
        texts.push(block.text);
      }
    });
    if (validate && open.size > 0) throw unanswered(i - 1, open);
    open = new Set();
    if (texts.length > 0) turns.push({ role: 'user', text: texts.join('\n') });
  });
  if (validate && open.size > 0) throw unanswered(body.messages.length - 1, open);
  const tools: ConversationTool[] = [];
  (Array.isArray(body.tools) ? body.tools : []).forEach((raw, i) => {
    if (!isRecord(raw)) return;
    // Server tools (web search, code execution) have a versioned type; only custom tools are ours.
    if (raw.type !== undefined && raw.type !== 'custom') return;
    if (typeof raw.name !== 'string' || (validate && !ANTHROPIC_TOOL_NAME.test(raw.name))) {
      throw new InvalidRequest(
        `tools.${i}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`,
      );
    }
    const schema = isRecord(raw.input_schema) ? raw.input_schema : undefined;
    if (validate && schema?.type !== 'object') {
      throw new InvalidRequest(`tools.${i}.custom.input_schema.type: Input should be 'object'`);
    }
    tools.push({
      name: raw.name,
      parameters: schema ?? { type: 'object' },
      ...(typeof raw.description === 'string' ? { description: raw.description } : {}),
    });
  });
  const choice = isRecord(body.tool_choice) ? body.tool_choice : {};
  const toolChoice: ToolChoice =
    choice.type === 'none'
      ? 'none'
      : choice.type === 'any'
        ? 'required'
        : choice.type === 'tool' && typeof choice.name === 'string'
          ? { name: choice.name }
          : 'auto';
  const outputFormat = isRecord(body.output_format) ? body.output_format : undefined;
  return {
    turns,
    tools,
    toolChoice,
    parallelToolCalls: choice.disable_parallel_tool_use !== true,
    ...(outputFormat?.type === 'json_schema' && isRecord(outputFormat.schema)
      ? { responseFormat: { kind: 'json_schema' as const, schema: outputFormat.schema } }
      : {}),
  };
}

function unanswered(index: number, open: Set<string>): InvalidRequest {
  return new InvalidRequest(
    `messages.${index}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${[...open].join(', ')}. ` +
      'Each `tool_use` block must have a corresponding `tool_result` block in the next message.',
  );
}

function anthropicReply(body: unknown, options: BehaviourOptions, validate: boolean): ScriptedReply {
  let conversation: Conversation;
  try {
    conversation = conversationFromAnthropic(body, validate);
  } catch (err) {
    if (err instanceof InvalidRequest) return anthropicError(400, 'invalid_request_error', err.message);
    throw err;
  }
  const turn = decideTurn(conversation, options);
  const usage = {
    model: (body as Json).model as string,
    inputTokens: estimateTokens(promptText(conversation)),
    outputTokens: estimateTokens(turnText(turn)),
  };
  if (turn.toolCalls.length === 0) return anthropicText(turn.text, usage);
  return anthropicToolUse(
    turn.toolCalls.map((call) => ({ id: id('toolu_'), name: call.name, input: call.arguments })),
    { ...usage, text: narrate(turn) },
  );
}
