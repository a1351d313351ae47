import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { BUILTIN_LIBRARY_DIR, loadLibrary } from '../../../capsules/library-loader';
import type { OutputSchema } from '../../../capsules/capsule-schema';
import { createAnthropicProvider } from '../../../activities/slm/anthropic-provider';
import { createOpenAiProvider } from '../../../activities/slm/openai-provider';
import type { SlmProvider, SlmRequest } from '../../../activities/slm/types';
import { typedFinishTool } from '../../../workflows/output-schema';
import {
  anthropicToolUse,
  openAiToolCalls,
  startFakeAnthropic,
  startFakeOpenAi,
  type ScriptedServer,
} from '../../support/fake-slm';

// The `finish` tool of a typed step as the real SDK clients put it on the wire, compared with the
// recorded shapes in test/fixtures/slm-wire/ (RECORD_WIRE=1 rewrites them). The step is the
// library's meetings.transcript-summary `extract`, so a change to its schema shows up here too.

const FIXTURES = join(__dirname, '../../fixtures/slm-wire');
const KEY = 'sk-wire-test-key';

let extractOutput: OutputSchema;
beforeAll(async () => {
  const library = await loadLibrary([BUILTIN_LIBRARY_DIR]);
  const capsule = library.capsules.find((c) => c.value.id === 'meetings.transcript-summary')!.value;
  extractOutput = capsule.steps.find((s) => s.id === 'extract')!.output!;
});

function request(): SlmRequest {
  return {
    model: 'wire-model',
    messages: [{ role: 'user', content: 'Extract the decisions.' }],
    tools: [typedFinishTool('finish', extractOutput)],
    maxOutputTokens: 256,
  };
}

function expectRecorded(name: string, actual: unknown): void {
  const file = join(FIXTURES, name);
  if (process.env.RECORD_WIRE === '1') writeFileSync(file, `${JSON.stringify(actual, null, 2)}\n`);
  expect(actual).toEqual(JSON.parse(readFileSync(file, 'utf8')));
}

const answer = {
  decisions: ['Ship the default constitution'],
  actionItems: [{ owner: 'Marco', task: 'Update the pricing page', due: 'Friday' }],
  openQuestions: ['Azure OpenAI at launch?'],
};

async function roundTrip(server: ScriptedServer, provider: SlmProvider) {
  const response = await provider.complete(request());
  const body = server.requests.at(-1)!.body as { tools: unknown[] };
  return { response, tools: body.tools };
}

it('OpenAI: a strict function whose parameters are the schema; the arguments come back parsed', async () => {
  const fake = await startFakeOpenAi({ apiKey: KEY });
  try {
    fake.enqueue(openAiToolCalls([{ id: 'call-1', name: 'finish', arguments: answer }]));
    const provider = createOpenAiProvider({
      name: 'openai',
      client: new OpenAI({ apiKey: KEY, baseURL: fake.baseURL, maxRetries: 0 }),
    });
    const { response, tools } = await roundTrip(fake, provider);
    expectRecorded('openai-typed-finish-tool.json', tools);
    expect(tools[0]).toMatchObject({ type: 'function', function: { name: 'finish', strict: true } });
    expect(response.toolCalls).toEqual([{ id: 'call-1', name: 'finish', arguments: answer }]);
  } finally {
    await fake.close();
  }
});

it('Anthropic: a tool whose input_schema is the schema; the input comes back as the arguments', async () => {
  const fake = await startFakeAnthropic({ apiKey: KEY });
  try {
    fake.enqueue(anthropicToolUse([{ id: 'toolu_1', name: 'finish', input: answer }]));
    const provider = createAnthropicProvider({
      client: new Anthropic({ apiKey: KEY, baseURL: fake.url, maxRetries: 0 }),
    });
    const { response, tools } = await roundTrip(fake, provider);
    expectRecorded('anthropic-typed-finish-tool.json', tools);
    expect(tools[0]).toMatchObject({ name: 'finish', input_schema: { type: 'object' } });
    expect(response.toolCalls).toEqual([{ id: 'toolu_1', name: 'finish', arguments: answer }]);
  } finally {
    await fake.close();
  }
});
