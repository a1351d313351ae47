import { compileCapsule } from '../../../capsules/compiler';
import { BUILTIN_LIBRARY_DIR, libraryResolver, loadLibrary } from '../../../capsules/library-loader';
import {
  checkModelReadiness,
  formatReadinessIssue,
  type ModelReadinessIssue,
} from '../../../capsules/model-readiness';
import { parseCapsule, parsePersona } from '../../../capsules/parse';
import type { CapsulePlan } from '../../../capsules/plan';
import { DEFAULT_PRICES, parsePriceTable, priceOf } from '../../../capsules/prices';
import { createMemoryResolver } from '../../../capsules/resolver';
import { configuredProviders, isKnownProvider, splitModelRef } from '../../../capsules/slm-providers';

const persona = (id: string, planning: string, implementation: string) => `
id: ${id}
version: 1.0.0
name: ${id}
description: d
systemPrompt: one two three four five six seven eight nine ten
model: { planning: ${planning}, implementation: ${implementation} }
tools: [workspace.read, finish]
`;

const capsule = (id: string, steps: string) => `
id: ${id}
version: 1.0.0
title: t
description: d
type: atomic
intent: i
deliverable: { description: d, format: text }
personas: { a: alpha@^1, b: beta@^1 }
tools: [workspace.read]
budget: { tokens: 50000, costUsd: 5, wallTime: 1h }
steps:
${steps}
`;

async function compile(text: string): Promise<CapsulePlan> {
  const personas = [
    persona('alpha', 'openai/gpt-4.1-mini', 'anthropic/claude-sonnet-4-5'),
    persona('beta', 'openai/gpt-nope', 'ollama/llama3'),
  ].map((p) => {
    const parsed = parsePersona(p);
    return { value: parsed.value!, source: parsed.source };
  });
  const parsed = parseCapsule(text);
  if (!parsed.value) throw new Error(JSON.stringify(parsed.diagnostics));
  const result = await compileCapsule(parsed.value, { resolver: createMemoryResolver({ personas }) });
  if (!result.plan) throw new Error(JSON.stringify(result.diagnostics));
  return result.plan;
}

describe('the price catalogue', () => {
  it('prices every model a shipped persona names, each of a provider the worker can build', async () => {
    const library = await loadLibrary([BUILTIN_LIBRARY_DIR]);
    const models = library.personas.flatMap((p) =>
      Object.values(p.value.model).filter((m): m is string => Boolean(m)),
    );
    expect(models).toContain('anthropic/claude-sonnet-4-6');
    expect(models.filter((m) => !priceOf(DEFAULT_PRICES, m))).toEqual([]);
    expect(models.filter((m) => !isKnownProvider(splitModelRef(m).provider))).toEqual([]);
  });

  it('has only provider/model or provider/* keys of providers the worker can build', () => {
    expect(parsePriceTable(DEFAULT_PRICES, 'DEFAULT_PRICES')).toEqual(DEFAULT_PRICES);
    const providers = Object.keys(DEFAULT_PRICES).map((key) => splitModelRef(key).provider);
    expect(providers.filter((p) => !isKnownProvider(p))).toEqual([]);
  });

  it('refuses a bad override naming the key or field', () => {
    expect(() => parsePriceTable({ 'gpt-4o': { inputPerMTok: 1, outputPerMTok: 2 } }, 'prices')).toThrow(
      'prices: invalid price table: "gpt-4o": a price key is "provider/model"',
    );
    expect(() =>
      parsePriceTable({ 'openai/gpt-4o': { inputPerMTok: -1, outputPerMTok: 2 } }, 'prices'),
    ).toThrow('"openai/gpt-4o".inputPerMTok: expected USD per million tokens (≥ 0)');
  });
});

describe('configuredProviders', () => {
  it('turns a provider on by its variable; empty values count as unset', () => {
    expect(configuredProviders({})).toEqual([]);
    expect(configuredProviders({ ANTHROPIC_API_KEY: 'k', OPENAI_API_KEY: '' })).toEqual(['anthropic']);
    expect(
      configuredProviders({ OPENAI_API_KEY: 'k', LOCAL_SLM_BASE_URL: 'http://127.0.0.1:11434/v1' }),
    ).toEqual(['openai', 'local']);
  });
});

describe('checkModelReadiness', () => {
  const steps = `
  - { id: plan, persona: a, task: plan, modelTier: planning, instruction: x }
  - { id: build, persona: a, task: codegen, dependsOn: [plan], instruction: x }
  - { id: check, persona: b, task: review, modelTier: planning, dependsOn: [build], instruction: x }
  - { id: local, persona: b, task: codegen, dependsOn: [build], instruction: x }`;

  it('reports nothing when every step model is priced and its provider configured', async () => {
    const plan = await compile(capsule('demo.ready', steps.split('\n').slice(0, 3).join('\n')));
    expect(checkModelReadiness(plan, ['openai', 'anthropic'], DEFAULT_PRICES)).toEqual([]);
  });

  it('warns per persona about a missing key, naming model and variable; errors on no price', async () => {
    const plan = await compile(capsule('demo.mixed', steps));
    const issues = checkModelReadiness(plan, ['openai'], DEFAULT_PRICES);
    const brief = (i: ModelReadinessIssue) => [i.severity, i.code, i.persona, i.model, i.variable];
    expect(issues.map(brief)).toEqual([
      [
        'warning',
        'provider-not-configured',
        'alpha@1.0.0',
        'anthropic/claude-sonnet-4-5',
        'ANTHROPIC_API_KEY',
      ],
      ['error', 'unknown-provider', 'beta@1.0.0', 'ollama/llama3', undefined],
      ['error', 'unpriced-model', 'beta@1.0.0', 'ollama/llama3', undefined],
      ['error', 'unpriced-model', 'beta@1.0.0', 'openai/gpt-nope', undefined],
    ]);
    expect(formatReadinessIssue(issues[0]!)).toBe(
      'warning: persona alpha@1.0.0 (in demo.mixed@1.0.0): model anthropic/claude-sonnet-4-5 needs the ' +
        '"anthropic" provider: set ANTHROPIC_API_KEY (and ANTHROPIC_BASE_URL for a compatible server)',
    );
    expect(issues[1]!.message).toContain('names provider "ollama"');
    expect(issues[1]!.message).toContain('configured: openai');
    expect(issues[2]!.message).toContain('add "ollama/llama3" to the price catalogue');
  });

  it('a deployment price override makes a model ready', async () => {
    const plan = await compile(capsule('demo.override', steps));
    const prices = { ...DEFAULT_PRICES, 'openai/gpt-nope': { inputPerMTok: 1, outputPerMTok: 1 } };
    const issues = checkModelReadiness(plan, ['openai', 'anthropic'], prices);
    expect(issues.map((i) => `${i.code} ${i.model}`)).toEqual([
      'unknown-provider ollama/llama3',
      'unpriced-model ollama/llama3',
    ]);
  });

  it('merges one persona and model across plans, listing every capsule that uses it', async () => {
    const one = await compile(capsule('demo.one', steps.split('\n').slice(0, 3).join('\n')));
    const two = await compile(capsule('demo.two', steps.split('\n').slice(0, 3).join('\n')));
    expect(checkModelReadiness([two, one], [], DEFAULT_PRICES)).toMatchObject([
      {
        persona: 'alpha@1.0.0',
        model: 'anthropic/claude-sonnet-4-5',
        capsules: ['demo.one@1.0.0', 'demo.two@1.0.0'],
      },
      { persona: 'alpha@1.0.0', model: 'openai/gpt-4.1-mini', variable: 'OPENAI_API_KEY' },
    ]);
  });

  it('looks into nested capsules and the shipped library needs only keys', async () => {
    const library = await loadLibrary([BUILTIN_LIBRARY_DIR]);
    const resolver = libraryResolver(library);
    const plans = await Promise.all(
      library.capsules.map(
        async (c) => (await compileCapsule(c.value, { resolver, source: c.source })).plan!,
      ),
    );
    const launch = plans.find((p) => p.capsule.id === 'product.launch')!;
    expect(launch.steps.some((s) => s.kind === 'capsule')).toBe(true);
    const nested = checkModelReadiness(launch, ['openai'], DEFAULT_PRICES);
    expect(nested.length).toBeGreaterThan(0);
    expect(nested.flatMap((i) => i.capsules)).toContain('product.development@1.0.0');

    const none = checkModelReadiness(plans, [], DEFAULT_PRICES);
    expect(none.every((i) => i.severity === 'warning')).toBe(true);
    expect(new Set(none.map((i) => i.variable))).toEqual(new Set(['OPENAI_API_KEY', 'ANTHROPIC_API_KEY']));
    expect(checkModelReadiness(plans, ['openai', 'anthropic'], DEFAULT_PRICES)).toEqual([]);
    // No shipped persona names a model its provider has retired or retires within the notice.
    expect(checkModelReadiness(plans, ['openai', 'anthropic'], DEFAULT_PRICES, '2026-12-07')).toEqual([]);
  });

  it('errors on a model its provider retired, warns before, and names the replacement', async () => {
    const plan = await compile(capsule('demo.lifecycle', steps.split('\n').slice(0, 3).join('\n')));
    const on = (today: string) =>
      checkModelReadiness(plan, ['openai', 'anthropic'], DEFAULT_PRICES, today).map((i) => [
        i.severity,
        i.code,
        i.replacement,
      ]);
    expect(on('2026-06-01')).toEqual([]);
    expect(on('2026-10-01')).toEqual([['warning', 'retiring-model', 'anthropic/claude-sonnet-4-6']]);
    expect(on('2026-11-30')).toEqual([['error', 'retired-model', 'anthropic/claude-sonnet-4-6']]);
    const [retired] = checkModelReadiness(plan, ['openai', 'anthropic'], DEFAULT_PRICES, '2026-12-07');
    expect(formatReadinessIssue(retired!)).toBe(
      'error: persona alpha@1.0.0 (in demo.lifecycle@1.0.0): model anthropic/claude-sonnet-4-5 was retired by ' +
        'its provider on 2026-11-30: move the persona to anthropic/claude-sonnet-4-6 (a new persona version)',
    );
  });
});
