import Anthropic from '@anthropic-ai/sdk';
import type {
  ContentBlockParam,
  MessageParam,
  ToolResultBlockParam,
} from '@anthropic-ai/sdk/resources/messages/messages';
import Ajv from 'ajv';
import OpenAI from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import {
  openAiError,
  startBehavingAnthropic,
  startBehavingModel,
  startBehavingOpenAi,
  type BehavingAnthropic,
  type BehavingModelOptions,
  type BehavingOpenAi,
  type JsonSchema,
} from '../../../support/fake-slm';
import {
  DEFAULT_FINISH,
  EXTRACT_INSTRUCTION,
  finishTool,
  MEETING_EXTRACT,
  READ_TOOL,
  REMEMBER_TOOL,
  SUMMARY_INSTRUCTION,
  TRANSCRIPT,
  WRITE_TOOL,
  type ToolSpec,
} from './fixtures';

const ajv = new Ajv({ allErrors: true });
const KEY = 'sk-behaving-test';
const MODEL = { openai: 'gpt-4.1-mini', anthropic: 'claude-sonnet-4-6' } as const;
const SYSTEM = 'You summarise meeting transcripts. Attribute action items to named owners.';

interface Call {
  id: string;
  name: string;
  args: Record<string, unknown>;
}

interface Turn {
  text: string;
  calls: Call[];
}

/** One conversation over a real SDK client, in the shape the platform keeps it. */
interface Session {
  next(): Promise<Turn>;
  /** Queues a tool result for the next request. */
  answer(call: Call, content: string, isError: boolean): void;
  /** Adds a user message (a correction, guidance). */
  say(text: string): void;
}

interface Protocol {
  name: 'openai' | 'anthropic';
  start(options: BehavingModelOptions): Promise<BehavingOpenAi | BehavingAnthropic>;
  session(
    server: BehavingOpenAi | BehavingAnthropic,
    conversation: { instruction: string; tools: ToolSpec[] },
  ): Session;
  /** Request bodies the server received. */
  bodies(server: BehavingOpenAi | BehavingAnthropic): Record<string, unknown>[];
}

const openAiProtocol: Protocol = {
  name: 'openai',
  start: (options) => startBehavingOpenAi(options),
  bodies: (server) => (server as BehavingOpenAi).chatRequests(),
  session(server, { instruction, tools }) {
    const client = new OpenAI({ apiKey: KEY, baseURL: server.baseURL, maxRetries: 0 });
    const messages: ChatCompletionMessageParam[] = [
      { role: 'system', content: SYSTEM },
      { role: 'user', content: instruction },
    ];
    const wireTools: ChatCompletionTool[] = tools.map((t) => ({
      type: 'function',
      function: {
        name: t.name,
        description: t.description,
        parameters: t.parameters,
        ...(t.strict ? { strict: true } : {}),
      },
    }));
    return {
      async next() {
        const completion = await client.chat.completions.create({
          model: MODEL.openai,
          messages,
          tools: wireTools,
          max_completion_tokens: 1024,
        });
        const message = completion.choices[0]!.message;
        messages.push(message);
        expect(completion.model).toBe(MODEL.openai);
        expect(completion.usage!.prompt_tokens).toBeGreaterThan(0);
        expect(completion.usage!.completion_tokens).toBeGreaterThan(0);
        const calls = (message.tool_calls ?? []).flatMap((c) =>
          c.type === 'function'
            ? [
                {
                  id: c.id,
                  name: c.function.name,
                  args: JSON.parse(c.function.arguments) as Record<string, unknown>,
                },
              ]
            : [],
        );
        expect(completion.choices[0]!.finish_reason).toBe(calls.length > 0 ? 'tool_calls' : 'stop');
        return { text: message.content ?? '', calls };
      },
      answer(call, content, isError) {
        // As the platform's OpenAI provider does: Chat Completions has no error flag.
        messages.push({
          role: 'tool',
          tool_call_id: call.id,
          content: isError ? `ERROR: ${content}` : content,
        });
      },
      say(text) {
        messages.push({ role: 'user', content: text });
      },
    };
  },
};

const anthropicProtocol: Protocol = {
  name: 'anthropic',
  start: (options) => startBehavingAnthropic(options),
  bodies: (server) => (server as BehavingAnthropic).messageRequests(),
  session(server, { instruction, tools }) {
    const client = new Anthropic({ apiKey: KEY, baseURL: server.baseURL, maxRetries: 0 });
    const messages: MessageParam[] = [{ role: 'user', content: [{ type: 'text', text: instruction }] }];
    const results: ContentBlockParam[] = [];
    const flush = () => {
      if (results.length > 0) messages.push({ role: 'user', content: results.splice(0) });
    };
    return {
      async next() {
        flush();
        const message = await client.messages.create({
          model: MODEL.anthropic,
          max_tokens: 1024,
          system: SYSTEM,
          messages,
          tools: tools.map((t) => ({
            name: t.name,
            description: t.description,
            input_schema: { type: 'object', ...t.parameters },
          })),
        });
        messages.push({ role: 'assistant', content: message.content });
        expect(message.model).toBe(MODEL.anthropic);
        expect(message.usage.input_tokens).toBeGreaterThan(0);
        expect(message.usage.output_tokens).toBeGreaterThan(0);
        const calls = message.content.flatMap((b) =>
          b.type === 'tool_use' ? [{ id: b.id, name: b.name, args: b.input as Record<string, unknown> }] : [],
        );
        expect(message.stop_reason).toBe(calls.length > 0 ? 'tool_use' : 'end_turn');
        const text = message.content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('');
        return { text, calls };
      },
      answer(call, content, isError) {
        const block: ToolResultBlockParam = {
          type: 'tool_result',
          tool_use_id: call.id,
          content,
          ...(isError ? { is_error: true } : {}),
        };
        results.push(block);
      },
      say(text) {
        results.push({ type: 'text', text });
        flush();
      },
    };
  },
};

interface Workspace {
  files: Map<string, string>;
  remembered: string[];
}

interface RunLog {
  turns: Turn[];
  /** Every finish call's arguments, with whether they validated. */
  finishes: { args: Record<string, unknown>; valid: boolean }[];
  result?: Record<string, unknown>;
}

/**
 * Runs the platform's agent loop against the model: executes workspace and memory calls,
 * checks `finish` against its schema and answers an invalid one with the validation errors.
 */
async function runAgent(
  session: Session,
  {
    finishSchema,
    workspace,
    maxTurns = 8,
  }: { finishSchema: JsonSchema; workspace: Workspace; maxTurns?: number },
): Promise<RunLog> {
  const validate = ajv.compile(finishSchema);
  const log: RunLog = { turns: [], finishes: [] };
  for (let i = 0; i < maxTurns && !log.result; i++) {
    const turn = await session.next();
    log.turns.push(turn);
    if (turn.calls.length === 0) break;
    for (const call of turn.calls) {
      const path = typeof call.args.path === 'string' ? call.args.path : '';
      if (call.name === 'workspace__read') {
        const content = workspace.files.get(path);
        if (content === undefined) session.answer(call, `ToolFailed: no such file: ${path}`, true);
        else session.answer(call, JSON.stringify({ path, content, bytes: content.length }), false);
      } else if (call.name === 'workspace__write') {
        workspace.files.set(path, String(call.args.content));
        session.answer(call, JSON.stringify({ path, bytes: String(call.args.content).length }), false);
      } else if (call.name === 'memory__remember') {
        workspace.remembered.push(String(call.args.content));
        session.answer(call, JSON.stringify({ id: `m${workspace.remembered.length}` }), false);
      } else if (call.name === 'finish') {
        const valid = validate(call.args) === true;
        log.finishes.push({ args: call.args, valid });
        if (valid) {
          log.result = call.args;
          session.answer(call, 'finished', false);
        } else {
          session.answer(
            call,
            `Your result does not match the required output schema: ${ajv.errorsText(validate.errors)}. ` +
              'Call `finish` again with the corrected result (the whole result, every field).',
            true,
          );
        }
      } else {
        session.answer(call, `unknown tool ${call.name}`, true);
      }
    }
  }
  return log;
}

const transcriptWorkspace = (): Workspace => ({
  files: new Map([['meetings/transcript.txt', TRANSCRIPT]]),
  remembered: [],
});

describe.each([openAiProtocol, anthropicProtocol])('behaving model over $name', (protocol) => {
  let server: BehavingOpenAi | BehavingAnthropic;
  let bad: BehavingOpenAi | BehavingAnthropic;
  let hopeless: BehavingOpenAi | BehavingAnthropic;
  beforeAll(async () => {
    [server, bad, hopeless] = await Promise.all([
      protocol.start({ apiKey: KEY }),
      protocol.start({ apiKey: KEY, offSchemaFinishes: 2 }),
      protocol.start({ apiKey: KEY, offSchemaFinishes: Infinity }),
    ]);
  });
  afterAll(() => Promise.all([server.close(), bad.close(), hopeless.close()]));

  it('reads the file the instruction names, then finishes with arguments that fit the typed schema', async () => {
    const tools = [READ_TOOL, finishTool(MEETING_EXTRACT, true)];
    const session = protocol.session(server, { instruction: EXTRACT_INSTRUCTION, tools });
    const log = await runAgent(session, { finishSchema: MEETING_EXTRACT, workspace: transcriptWorkspace() });

    expect(log.turns[0]!.calls.map((c) => [c.name, c.args])).toEqual([
      ['workspace__read', { path: 'meetings/transcript.txt' }],
    ]);
    expect(log.turns[1]!.calls.map((c) => c.name)).toEqual(['finish']);
    expect(log.turns).toHaveLength(2);
    expect(log.finishes).toEqual([{ args: expect.any(Object) as unknown, valid: true }]);
    const result = log.result as {
      decisions: string[];
      actionItems: { owner: string | null; task: string | null; due: string | null }[];
      openQuestions: string[];
    };
    expect(result.decisions).toEqual(
      expect.arrayContaining([expect.stringContaining('default constitution') as unknown]),
    );
    expect(result.actionItems).toEqual(
      expect.arrayContaining([expect.objectContaining({ owner: 'Marco', due: 'Friday' })]),
    );
    expect(result.openQuestions.some((q) => q.includes('Azure OpenAI'))).toBe(true);
    // The requests are recorded for assertions; the tool result went back with the second one.
    const bodies = protocol.bodies(server).slice(-2);
    expect(JSON.stringify(bodies[1])).toContain('Decision: launch date stays 1 December.');
  });

  it('with offSchemaFinishes: 2 answers finish off-schema twice, then correctly', async () => {
    const tools = [READ_TOOL, finishTool(MEETING_EXTRACT, true)];
    const session = protocol.session(bad, { instruction: EXTRACT_INSTRUCTION, tools });
    const log = await runAgent(session, { finishSchema: MEETING_EXTRACT, workspace: transcriptWorkspace() });

    expect(log.turns[0]!.calls.map((c) => c.name)).toEqual(['workspace__read']);
    expect(log.finishes.map((f) => f.valid)).toEqual([false, false, true]);
    expect(typeof log.finishes[0]!.args.decisions).toBe('string');
    expect(log.finishes[1]!.args).not.toHaveProperty('decisions');
    expect(log.result).toBeDefined();
  });

  it('with offSchemaFinishes: Infinity never finishes on-schema', async () => {
    const tools = [READ_TOOL, finishTool(MEETING_EXTRACT, true)];
    const session = protocol.session(hopeless, { instruction: EXTRACT_INSTRUCTION, tools });
    const log = await runAgent(session, {
      finishSchema: MEETING_EXTRACT,
      workspace: transcriptWorkspace(),
      maxTurns: 6,
    });
    expect(log.finishes).toHaveLength(5);
    expect(log.finishes.every((f) => !f.valid)).toBe(true);
    expect(log.result).toBeUndefined();
  });

  it('writes the file it is asked for and remembers once, then finishes with a text summary', async () => {
    const tools = [WRITE_TOOL, REMEMBER_TOOL, finishTool(DEFAULT_FINISH)];
    const workspace: Workspace = { files: new Map(), remembered: [] };
    const session = protocol.session(server, { instruction: SUMMARY_INSTRUCTION, tools });
    const log = await runAgent(session, { finishSchema: DEFAULT_FINISH, workspace });

    expect(log.turns[0]!.calls.map((c) => c.name)).toEqual(['workspace__write', 'memory__remember']);
    expect(log.turns[1]!.calls.map((c) => c.name)).toEqual(['finish']);
    const summary = workspace.files.get('meetings/summary.md')!;
    expect(summary).toMatch(/^# SomaGent launch sync/);
    expect(summary).toContain('## Decisions\n\n- Ship the default constitution as is');
    expect(summary).toContain('| Marco | Update the pricing page | Friday |');
    expect(summary).toContain('- Do we support Azure OpenAI at launch?');
    expect(workspace.remembered).toHaveLength(1);
    expect(workspace.remembered[0]).toContain('Marco: Update the pricing page (due Friday)');
    expect(log.result!.result).toEqual(expect.stringContaining('Wrote meetings/summary.md'));
  });

  it('implements the files a build instruction names from the spec it reads, each in its format', async () => {
    const tools = [READ_TOOL, WRITE_TOOL, finishTool(DEFAULT_FINISH)];
    const workspace: Workspace = {
      files: new Map([
        ['site/DESIGN.md', '# Acme landing page\n\nDecision: the hero says "Start free trial".'],
      ]),
      remembered: [],
    };
    const instruction =
      'Implement site/index.html and site/styles.css from site/DESIGN.md, with tokens #3b5bdb. ' +
      'Add site/README.md with how to preview and deploy the page. Then write IMPLEMENTATION.md.';
    const log = await runAgent(protocol.session(server, { instruction, tools }), {
      finishSchema: DEFAULT_FINISH,
      workspace,
    });

    expect(
      log.turns.map((t) =>
        t.calls.map((c) => `${c.name} ${typeof c.args.path === 'string' ? c.args.path : ''}`.trim()),
      ),
    ).toEqual([
      ['workspace__read site/DESIGN.md'],
      [
        'workspace__write site/index.html',
        'workspace__write site/styles.css',
        'workspace__write site/README.md',
        'workspace__write IMPLEMENTATION.md',
      ],
      ['finish'],
    ]);
    const page = workspace.files.get('site/index.html')!;
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toContain('<title>Acme landing page</title>');
    expect(page).toContain('<link rel="stylesheet" href="styles.css" />');
    expect(page).toContain('The hero says &quot;Start free trial&quot;.');
    expect(workspace.files.get('site/styles.css')).toContain('--color-primary: #3b5bdb;');
    expect(workspace.files.get('site/README.md')).toMatch(/^# Acme landing page — README\n/);
    expect(workspace.files.get('IMPLEMENTATION.md')).toMatch(/^# Acme landing page — IMPLEMENTATION\n/);
    expect(workspace.files.get('site/DESIGN.md')).toMatch(/^# Acme landing page\n/);
  });

  it('retries a failed read at most once, then finishes with what it has', async () => {
    const tools = [READ_TOOL, finishTool(DEFAULT_FINISH)];
    const session = protocol.session(server, {
      instruction: 'Read notes/missing.md and docs/brief.md, then summarise them.',
      tools,
    });
    const workspace: Workspace = {
      files: new Map([['docs/brief.md', 'Decision: the brief is final.']]),
      remembered: [],
    };
    const log = await runAgent(session, { finishSchema: DEFAULT_FINISH, workspace });

    const reads = log.turns.flatMap((t) => t.calls.filter((c) => c.name === 'workspace__read'));
    expect(reads.map((c) => c.args.path)).toEqual(['notes/missing.md', 'docs/brief.md', 'notes/missing.md']);
    expect(log.result!.result).toEqual(expect.stringContaining('The brief is final.'));
    expect(log.result!.result).toEqual(expect.stringContaining('Could not complete: notes/missing.md'));
  });

  it('keeps concurrent conversations apart: each reads its own file', async () => {
    const workspace: Workspace = {
      files: new Map([
        ['a/one.md', 'Decision: alpha ships.'],
        ['b/two.md', 'Decision: beta waits.'],
      ]),
      remembered: [],
    };
    const run = (path: string) =>
      runAgent(
        protocol.session(server, {
          instruction: `Read ${path} and report the decisions.`,
          tools: [READ_TOOL, finishTool(DEFAULT_FINISH)],
        }),
        { finishSchema: DEFAULT_FINISH, workspace },
      );
    const [one, two] = await Promise.all([run('a/one.md'), run('b/two.md')]);
    expect(one.result!.result).toContain('Alpha ships.');
    expect(one.result!.result).not.toContain('Beta');
    expect(two.result!.result).toContain('Beta waits.');
  });
});

describe('behaving model, OpenAI specifics', () => {
  let server: BehavingOpenAi;
  let client: OpenAI;
  beforeAll(async () => {
    server = await startBehavingOpenAi({ apiKey: KEY });
    client = new OpenAI({ apiKey: KEY, baseURL: server.baseURL, maxRetries: 0 });
  });
  afterAll(() => server.close());

  const REPORT = {
    type: 'object',
    properties: {
      title: { type: 'string' },
      decisions: { type: 'array', items: { type: 'string' }, minItems: 1 },
      risk: { type: ['string', 'null'], enum: ['low', 'medium', 'high', null] },
    },
    required: ['title', 'decisions', 'risk'],
    additionalProperties: false,
  };

  it('answers response_format json_schema (no tools) with JSON content that fits', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-4.1-nano',
      messages: [{ role: 'user', content: `Report on this meeting:\n${TRANSCRIPT}` }],
      response_format: { type: 'json_schema', json_schema: { name: 'report', strict: true, schema: REPORT } },
    });
    const content = JSON.parse(completion.choices[0]!.message.content!) as { decisions: string[] };
    expect(ajv.validate(REPORT, content)).toBe(true);
    expect(content.decisions).toContain('We ship the default constitution as is.');
    expect(completion.model).toBe('gpt-4.1-nano');
  });

  it('answers plain text without tools or format; usage grows with the prompt', async () => {
    const short = await client.chat.completions.create({
      model: 'gpt-4.1-mini',
      messages: [{ role: 'user', content: 'Summarise: Decision: we go.' }],
    });
    const long = await client.chat.completions.create({
      model: 'gpt-4.1-mini',
      messages: [{ role: 'user', content: `Summarise:\n${TRANSCRIPT}` }],
    });
    expect(short.choices[0]!.message.content).toContain('We go.');
    expect(long.choices[0]!.message.content).toContain('Decisions:');
    expect(long.usage!.prompt_tokens).toBeGreaterThan(short.usage!.prompt_tokens);
    expect(long.usage!.total_tokens).toBe(long.usage!.prompt_tokens + long.usage!.completion_tokens);
  });

  it('refuses what the real API refuses, in its 400 shape', async () => {
    const orphan = client.chat.completions.create({
      model: 'gpt-4.1-mini',
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'tool', tool_call_id: 'call_nope', content: 'x' },
      ],
    });
    await expect(orphan).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(orphan).rejects.toThrow(/must be a response to a preceeding message with 'tool_calls'/);

    const notStrict = client.chat.completions.create({
      model: 'gpt-4.1-mini',
      messages: [{ role: 'user', content: 'hi' }],
      tools: [
        {
          type: 'function',
          function: {
            name: 'finish',
            strict: true,
            parameters: { type: 'object', properties: { result: { type: 'string' } }, required: ['result'] },
          },
        },
      ],
    });
    await expect(notStrict).rejects.toThrow(/Invalid schema for function 'finish'.*'additionalProperties'/);

    const dotted = client.chat.completions.create({
      model: 'gpt-4.1-mini',
      messages: [{ role: 'user', content: 'hi' }],
      tools: [{ type: 'function', function: { name: 'workspace.read', parameters: { type: 'object' } } }],
    });
    await expect(dotted).rejects.toThrow(/does not match pattern/);
  });

  it('checks the key, serves embeddings, and lets scripted replies go first', async () => {
    const stranger = new OpenAI({ apiKey: 'sk-wrong', baseURL: server.baseURL, maxRetries: 0 });
    await expect(
      stranger.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
    ).rejects.toBeInstanceOf(OpenAI.AuthenticationError);

    const embedding = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'hello' });
    expect(embedding.data[0]!.embedding).toHaveLength(64);

    server.enqueue(
      openAiError(429, 'Rate limit reached', { type: 'requests', headers: { 'retry-after': '1' } }),
    );
    const ask = () =>
      client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'Decision: go.' }] });
    await expect(ask()).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    await expect(ask()).resolves.toMatchObject({
      choices: [{ message: { content: expect.any(String) as unknown } }],
    });
  });

  it('honours tool_choice: none answers text, a named tool is called, parallel_tool_calls: false one call', async () => {
    const tools: ChatCompletionTool[] = [READ_TOOL, finishTool(DEFAULT_FINISH)].map((t) => ({
      type: 'function',
      function: { name: t.name, description: t.description, parameters: t.parameters },
    }));
    const messages: ChatCompletionMessageParam[] = [{ role: 'user', content: 'Read a/x.md and b/y.md.' }];
    const none = await client.chat.completions.create({ model: 'm', messages, tools, tool_choice: 'none' });
    expect(none.choices[0]!.message.tool_calls).toBeUndefined();
    const forced = await client.chat.completions.create({
      model: 'm',
      messages,
      tools,
      tool_choice: { type: 'function', function: { name: 'finish' } },
    });
    expect(
      forced.choices[0]!.message.tool_calls!.map((c) => c.type === 'function' && c.function.name),
    ).toEqual(['finish']);
    const parallel = await client.chat.completions.create({ model: 'm', messages, tools });
    expect(parallel.choices[0]!.message.tool_calls).toHaveLength(2);
    const single = await client.chat.completions.create({
      model: 'm',
      messages,
      tools,
      parallel_tool_calls: false,
    });
    expect(single.choices[0]!.message.tool_calls).toHaveLength(1);
  });
});

describe('behaving model, Anthropic specifics', () => {
  let server: BehavingAnthropic;
  let client: Anthropic;
  beforeAll(async () => {
    server = await startBehavingAnthropic({ apiKey: KEY });
    client = new Anthropic({ apiKey: KEY, baseURL: server.baseURL, maxRetries: 0 });
  });
  afterAll(() => server.close());

  it('says what it is about to do before its tool_use blocks, as Claude does', async () => {
    const message = await client.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 256,
      messages: [{ role: 'user', content: EXTRACT_INSTRUCTION }],
      tools: [{ name: READ_TOOL.name, input_schema: { type: 'object', ...READ_TOOL.parameters } }],
    });
    expect(message.content.map((b) => b.type)).toEqual(['text', 'tool_use']);
    expect(message.content[1]).toMatchObject({
      name: 'workspace__read',
      input: { path: 'meetings/transcript.txt' },
    });
    expect(message.id).toMatch(/^msg_/);
  });

  it('refuses a tool_result without its tool_use, and a tool_use left unanswered', async () => {
    await expect(
      client.messages.create({
        model: 'claude-haiku-4-5',
        max_tokens: 256,
        messages: [
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_nope', content: 'x' }] },
        ],
      }),
    ).rejects.toThrow(/unexpected `tool_use_id` found in `tool_result` blocks: toolu_nope/);
    await expect(
      client.messages.create({
        model: 'claude-haiku-4-5',
        max_tokens: 256,
        messages: [
          { role: 'user', content: 'go' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'finish', input: {} }] },
          { role: 'user', content: 'and?' },
        ],
      }),
    ).rejects.toBeInstanceOf(Anthropic.BadRequestError);
  });

  it('answers plain text without tools, and rejects a wrong key with its 401', async () => {
    const message = await client.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 256,
      system: 'Be brief.',
      messages: [{ role: 'user', content: `Summarise:\n${TRANSCRIPT}` }],
    });
    expect(message.content).toEqual([
      { type: 'text', text: expect.stringContaining('Decisions:') as unknown },
    ]);
    const stranger = new Anthropic({ apiKey: 'sk-ant-wrong', baseURL: server.baseURL, maxRetries: 0 });
    await expect(
      stranger.messages.create({ model: 'm', max_tokens: 1, messages: [{ role: 'user', content: 'hi' }] }),
    ).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
  });
});

describe('behaving model, behaviour per model name', () => {
  it('answers off-schema for the model configured so, on-schema for the others, on both protocols', async () => {
    const server = await startBehavingModel({
      apiKey: KEY,
      models: {
        'gpt-4.1-nano': { offSchemaFinishes: 1 },
        'claude-3-5-haiku-latest': { offSchemaFinishes: 1 },
      },
    });
    try {
      const openai = new OpenAI({ apiKey: KEY, baseURL: server.openAiBaseURL, maxRetries: 0 });
      const anthropic = new Anthropic({ apiKey: KEY, baseURL: server.anthropicBaseURL, maxRetries: 0 });
      const finish = finishTool(MEETING_EXTRACT, true);
      const viaOpenAi = async (model: string) => {
        const completion = await openai.chat.completions.create({
          model,
          messages: [{ role: 'user', content: `Extract from this:\n${TRANSCRIPT}` }],
          tools: [
            {
              type: 'function',
              function: { name: finish.name, parameters: finish.parameters, strict: true },
            },
          ],
          tool_choice: { type: 'function', function: { name: 'finish' } },
        });
        const call = completion.choices[0]!.message.tool_calls![0]!;
        return call.type === 'function' ? (JSON.parse(call.function.arguments) as unknown) : undefined;
      };
      const viaAnthropic = async (model: string) => {
        const message = await anthropic.messages.create({
          model,
          max_tokens: 256,
          messages: [{ role: 'user', content: `Extract from this:\n${TRANSCRIPT}` }],
          tools: [{ name: finish.name, input_schema: { type: 'object', ...finish.parameters } }],
          tool_choice: { type: 'tool', name: 'finish' },
        });
        const block = message.content.find((b) => b.type === 'tool_use');
        return block?.type === 'tool_use' ? block.input : undefined;
      };
      expect(ajv.validate(MEETING_EXTRACT, await viaOpenAi('gpt-4.1-mini'))).toBe(true);
      expect(ajv.validate(MEETING_EXTRACT, await viaOpenAi('gpt-4.1-nano'))).toBe(false);
      expect(ajv.validate(MEETING_EXTRACT, await viaAnthropic('claude-haiku-4-5'))).toBe(true);
      expect(ajv.validate(MEETING_EXTRACT, await viaAnthropic('claude-3-5-haiku-latest'))).toBe(false);
    } finally {
      await server.close();
    }
  });
});
