import {
  factsFromDocument,
  factsFromInstruction,
  quote,
  quotedTitle,
  urlsIn,
  workspacePaths,
  type Fact,
} from './material';
import { fileContent, listOf } from './file-content';
import { answerForSchema, offSchemaAnswer, type AnswerMaterial, type JsonSchema } from './schema-answer';

/**
 * The decision logic of the behaving model, shared by its OpenAI and Anthropic faces: given a
 * conversation (already translated from either wire format), what the next assistant turn is.
 * Stateless: everything comes from the conversation, so concurrent callers need no coordination.
 */

/** Wire names of the platform's tools (dots encoded as `__`). */
export const WIRE_TOOLS = {
  workspaceRead: 'workspace__read',
  workspaceWrite: 'workspace__write',
  memoryRemember: 'memory__remember',
  memoryRecall: 'memory__recall',
  httpRequest: 'http__request',
  delegate: 'delegate',
  finish: 'finish',
} as const;

export interface ConversationTool {
  name: string;
  description?: string;
  parameters: JsonSchema;
}

export interface ConversationToolCall {
  id: string;
  name: string;
  arguments: unknown;
}

export type ConversationTurn =
  | { role: 'system'; text: string }
  | { role: 'user'; text: string }
  | { role: 'assistant'; text: string; toolCalls: ConversationToolCall[] }
  | { role: 'tool'; toolCallId: string; text: string; isError: boolean };

export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

export interface Conversation {
  turns: ConversationTurn[];
  tools: ConversationTool[];
  toolChoice: ToolChoice;
  /** False when the caller asked for at most one tool call per turn. */
  parallelToolCalls: boolean;
  /** A structured answer asked for in the message content (no tool). */
  responseFormat?: { kind: 'json_schema'; schema: JsonSchema } | { kind: 'json_object' };
}

/** The next assistant turn: text and/or tool calls (wire names). */
export interface ModelTurn {
  text: string;
  toolCalls: { name: string; arguments: unknown }[];
}

export interface BehaviourOptions {
  /**
   * `finish` calls of a conversation answered off the tool's schema before the model gets it
   * right (a badly behaving model); `Infinity` never gets it right.
   * @default 0
   */
  offSchemaFinishes?: number;
}

/** Calls of one tool with the same target are made at most this often (one retry after an error). */
const MAX_ATTEMPTS = 2;
/** Instruction sentences quoted in a summary when nothing else was learnt. */
const INSTRUCTION_SENTENCES = 2;

interface CallOutcome {
  call: ConversationToolCall;
  /** Undefined while no result came back. */
  result?: { text: string; isError: boolean };
}

/** What the conversation holds, read once. */
interface Reading {
  instruction: string;
  outcomes: CallOutcome[];
  facts: Fact[];
  corpus: string;
  title?: string;
}

function read(conversation: Conversation): Reading {
  const outcomes: CallOutcome[] = [];
  const byId = new Map<string, CallOutcome>();
  const instructionParts: string[] = [];
  const documents: string[] = [];
  const instructionFacts: Fact[] = [];
  for (const turn of conversation.turns) {
    switch (turn.role) {
      case 'system': {
        // Recalled memories are facts, not orders (Anthropic gets them joined to the system prompt).
        const memories = turn.text.search(/^relevant memories:/im);
        if (memories < 0) instructionParts.push(turn.text);
        else {
          instructionParts.push(turn.text.slice(0, memories));
          documents.push(turn.text.slice(memories));
        }
        break;
      }
      case 'user':
        instructionParts.push(turn.text);
        instructionFacts.push(...factsFromInstruction(turn.text));
        break;
      case 'assistant':
        for (const call of turn.toolCalls) {
          const outcome: CallOutcome = { call };
          outcomes.push(outcome);
          byId.set(call.id, outcome);
        }
        break;
      case 'tool': {
        const outcome = byId.get(turn.toolCallId);
        if (outcome) outcome.result = { text: turn.text, isError: turn.isError };
        if (!turn.isError && outcome?.call.name !== WIRE_TOOLS.finish)
          documents.push(textOfResult(turn.text));
        break;
      }
    }
  }
  const instruction = instructionParts.join('\n\n');
  // With nothing read and no lists given, the material is in the message itself ("Summarise: ...").
  const userText = conversation.turns.flatMap((t) => (t.role === 'user' ? [t.text] : [])).join('\n');
  const facts =
    documents.length === 0 && instructionFacts.length === 0
      ? factsFromDocument(userText)
      : [...documents.flatMap(factsFromDocument), ...instructionFacts];
  // A Markdown title reads as its text ("# Launch brief" → "Launch brief").
  const firstLine = documents
    .map((d) =>
      d
        .split('\n')[0]!
        .replace(/^#+\s*/, '')
        .trim(),
    )
    .find((l) => l.length > 0 && l.length <= 80 && !l.includes(':'));
  return {
    instruction,
    outcomes,
    facts,
    corpus: [...documents, instruction].join('\n'),
    title: quotedTitle(instruction) ?? firstLine,
  };
}

/** The text in a tool result: a JSON result's string fields (`content`, `body`), else the text. */
function textOfResult(text: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return text;
  }
  const strings: string[] = [];
  const walk = (value: unknown, key: string | undefined) => {
    if (typeof value === 'string') {
      if (!['path', 'id', 'url', 'method', 'kind', 'contentType'].includes(key ?? '')) strings.push(value);
    } else if (Array.isArray(value)) {
      for (const v of value) walk(v, key);
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(v, k);
    }
  };
  walk(parsed, undefined);
  return strings.join('\n');
}

const sameTarget =
  (key: string, value: string) =>
  (call: ConversationToolCall): boolean =>
    call.arguments !== null &&
    typeof call.arguments === 'object' &&
    (call.arguments as Record<string, unknown>)[key] === value;

/** Not done yet: no successful call, and fewer than {@link MAX_ATTEMPTS} tries. */
function pending(
  reading: Reading,
  name: string,
  matches: (call: ConversationToolCall) => boolean = () => true,
): boolean {
  const tries = reading.outcomes.filter((o) => o.call.name === name && matches(o.call));
  return !tries.some((o) => o.result && !o.result.isError) && tries.length < MAX_ATTEMPTS;
}

function succeeded(reading: Reading, name: string): ConversationToolCall[] {
  return reading.outcomes
    .filter((o) => o.call.name === name && o.result && !o.result.isError)
    .map((o) => o.call);
}

function argument(call: ConversationToolCall, key: string): string | undefined {
  const args = call.arguments as Record<string, unknown> | null;
  const value = args && typeof args === 'object' ? args[key] : undefined;
  return typeof value === 'string' ? value : undefined;
}

/** What was done so far, in words. */
function workDone(reading: Reading): string {
  const paths = (name: string) =>
    [...new Set(succeeded(reading, name).flatMap((c) => argument(c, 'path') ?? []))].join(', ');
  const parts: string[] = [];
  const readPaths = paths(WIRE_TOOLS.workspaceRead);
  const written = paths(WIRE_TOOLS.workspaceWrite);
  if (readPaths) parts.push(`Read ${readPaths}.`);
  if (written) parts.push(`Wrote ${written}.`);
  if (succeeded(reading, WIRE_TOOLS.memoryRemember).length > 0) parts.push('Saved the key points to memory.');
  const failed = reading.outcomes.filter((o) => o.result?.isError && o.call.name !== WIRE_TOOLS.finish);
  if (failed.length > 0) {
    const targets = [
      ...new Set(failed.map((o) => argument(o.call, 'path') ?? argument(o.call, 'url') ?? o.call.name)),
    ];
    parts.push(`Could not complete: ${targets.join(', ')}.`);
  }
  return parts.join(' ');
}

/** A short summary of the work and what was learnt. */
function summaryOf(reading: Reading): string {
  const { facts } = reading;
  const parts: string[] = [];
  const done = workDone(reading);
  if (done) parts.push(done);
  const decisions = listOf(facts, 'decision');
  const actions = facts
    .filter((f) => f.kind === 'action')
    .slice(0, 3)
    .map((f) => (f.speaker ? `${f.speaker}: ${f.fields?.task ?? f.text}` : quote(f)));
  const questions = listOf(facts, 'question', 2);
  const sentence = (label: string, items: string[]) =>
    parts.push(`${label}: ${items.map((i) => i.replace(/\.$/, '')).join('; ')}`.replace(/([^.?!])$/, '$1.'));
  if (decisions.length > 0) sentence('Decisions', decisions);
  if (actions.length > 0) sentence('Action items', actions);
  if (questions.length > 0) sentence('Open questions', questions);
  if (decisions.length + actions.length + questions.length === 0) {
    const other = [...new Set(facts.map((f) => f.text))].slice(0, 3);
    if (other.length > 0) parts.push(`Key points: ${other.join(' ')}`);
  }
  if (parts.length === 0) {
    const sentences = reading.instruction
      .split(/(?<=[.!?])\s+/)
      .map((s) => s.trim())
      .filter(Boolean);
    parts.push(`Done: ${sentences.slice(0, INSTRUCTION_SENTENCES).join(' ') || 'the task is complete.'}`);
  }
  return parts.join(' ');
}

function materialOf(reading: Reading): AnswerMaterial {
  return {
    facts: reading.facts,
    corpus: reading.corpus,
    summary: summaryOf(reading),
    ...(reading.title ? { title: reading.title } : {}),
  };
}

function rememberArguments(tool: ConversationTool, reading: Reading): Record<string, unknown> {
  const actions = reading.facts.filter((f) => f.kind === 'action');
  const aboutActions = /\baction items?\b/i.test(reading.instruction) && actions.length > 0;
  const content = aboutActions
    ? `Action items${reading.title ? ` from ${reading.title}` : ''}: ${actions
        .map(
          (a) =>
            `${a.speaker ?? 'unassigned'}: ${a.fields?.task ?? quote(a)}${a.due ? ` (due ${a.due})` : ''}`,
        )
        .join('; ')}`
    : summaryOf(reading);
  const properties = (tool.parameters.properties ?? {}) as Record<string, unknown>;
  return {
    content,
    ...('kind' in properties ? { kind: aboutActions ? 'action-items' : 'summary' } : {}),
  };
}

function finishArguments(tool: ConversationTool, reading: Reading, options: BehaviourOptions): unknown {
  const attempts = reading.outcomes.filter((o) => o.call.name === tool.name).length;
  const material = materialOf(reading);
  if (attempts < (options.offSchemaFinishes ?? 0)) {
    return offSchemaAnswer(tool.parameters, material, attempts);
  }
  return answerForSchema(tool.parameters, material);
}

/** The tool calls a good agent makes next, or none when the work is done. */
function nextActions(conversation: Conversation, reading: Reading): ModelTurn['toolCalls'] {
  const offered = new Map(conversation.tools.map((t) => [t.name, t]));
  const mentions = workspacePaths(reading.instruction);
  const gather: ModelTurn['toolCalls'] = [];
  if (offered.has(WIRE_TOOLS.workspaceRead)) {
    for (const { path, intent } of mentions) {
      if (intent === 'write') continue;
      if (pending(reading, WIRE_TOOLS.workspaceRead, sameTarget('path', path))) {
        gather.push({ name: WIRE_TOOLS.workspaceRead, arguments: { path } });
      }
    }
  }
  if (offered.has(WIRE_TOOLS.httpRequest)) {
    for (const url of urlsIn(reading.instruction)) {
      if (pending(reading, WIRE_TOOLS.httpRequest, sameTarget('url', url))) {
        gather.push({ name: WIRE_TOOLS.httpRequest, arguments: { url, method: 'GET' } });
      }
    }
  }
  if (gather.length > 0) return gather;

  const produce: ModelTurn['toolCalls'] = [];
  if (offered.has(WIRE_TOOLS.workspaceWrite)) {
    const targets = mentions.filter((m) => m.intent !== 'read').map((m) => m.path);
    const material = {
      facts: reading.facts,
      instruction: reading.instruction,
      summary: summaryOf(reading),
      ...(reading.title ? { title: reading.title } : {}),
    };
    for (const path of targets) {
      if (pending(reading, WIRE_TOOLS.workspaceWrite, sameTarget('path', path))) {
        const siblings = targets.filter((t) => t !== path);
        produce.push({
          name: WIRE_TOOLS.workspaceWrite,
          arguments: { path, content: fileContent(path, { ...material, siblings }) },
        });
      }
    }
  }
  const remember = offered.get(WIRE_TOOLS.memoryRemember);
  if (remember && /\bremember\b/i.test(reading.instruction) && pending(reading, remember.name)) {
    produce.push({ name: remember.name, arguments: rememberArguments(remember, reading) });
  }
  return produce;
}

/** The content of a final answer without tools: JSON when a format is asked for, else text. */
function finalContent(conversation: Conversation, reading: Reading): string {
  const format = conversation.responseFormat;
  if (format?.kind === 'json_schema')
    return JSON.stringify(answerForSchema(format.schema, materialOf(reading)));
  if (format?.kind === 'json_object') {
    return JSON.stringify({ summary: summaryOf(reading), points: reading.facts.slice(0, 5).map(quote) });
  }
  return summaryOf(reading);
}

/** The next assistant turn for a conversation. */
export function decideTurn(conversation: Conversation, options: BehaviourOptions = {}): ModelTurn {
  const reading = read(conversation);
  const choice = conversation.toolChoice;
  const tools = choice === 'none' ? [] : conversation.tools;
  const limit = (calls: ModelTurn['toolCalls']) =>
    conversation.parallelToolCalls ? calls : calls.slice(0, 1);
  const byName = new Map(tools.map((t) => [t.name, t]));

  if (typeof choice === 'object') {
    const forced = byName.get(choice.name);
    if (forced) {
      const planned = nextActions({ ...conversation, tools }, reading).filter((c) => c.name === forced.name);
      const args =
        forced.name === WIRE_TOOLS.finish
          ? finishArguments(forced, reading, options)
          : (planned[0]?.arguments ?? answerForSchema(forced.parameters, materialOf(reading)));
      return { text: '', toolCalls: [{ name: forced.name, arguments: args }] };
    }
  }
  if (tools.length === 0) return { text: finalContent(conversation, reading), toolCalls: [] };

  const actions = nextActions({ ...conversation, tools }, reading);
  if (actions.length > 0) return { text: '', toolCalls: limit(actions) };

  const finish = byName.get(WIRE_TOOLS.finish);
  const finished = reading.outcomes.some(
    (o) => o.call.name === WIRE_TOOLS.finish && o.result !== undefined && !o.result.isError,
  );
  if (finish && !finished) {
    return {
      text: '',
      toolCalls: [{ name: finish.name, arguments: finishArguments(finish, reading, options) }],
    };
  }
  if (choice === 'required') {
    const tool = finish ?? tools[0]!;
    return {
      text: '',
      toolCalls: [{ name: tool.name, arguments: answerForSchema(tool.parameters, materialOf(reading)) }],
    };
  }
  return { text: finalContent(conversation, reading), toolCalls: [] };
}

/** A one-line account of a turn, for the Anthropic text block before tool calls. */
export function narrate(turn: ModelTurn): string {
  if (turn.toolCalls.length === 0) return '';
  const names = turn.toolCalls.map((c) => {
    const target = (c.arguments as Record<string, unknown> | null)?.path;
    return typeof target === 'string' ? `${c.name} ${target}` : c.name;
  });
  return `Calling ${names.join(', ')}.`;
}
