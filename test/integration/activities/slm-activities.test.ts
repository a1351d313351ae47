import OpenAI, { APIUserAbortError } from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { ApplicationFailure } from '@temporalio/common';
import { BUILTIN_LIBRARY_DIR, loadLibrary } from '../../../capsules';
import { costUsd, DEFAULT_PRICES, priceOf } from '../../../capsules/prices';
import { configuredProviders, splitModelRef } from '../../../capsules/slm-providers';
import { createLogger } from '../../../services/logger';
import { createBudgetStore } from '../../../activities/budget/budget-store';
import { createAnthropicProvider } from '../../../activities/slm/anthropic-provider';
import { createOpenAiProvider } from '../../../activities/slm/openai-provider';
import { createSlmProviders } from '../../../activities/slm/providers';
import { createRateLimiter } from '../../../activities/slm/rate-limiter';
import { createSlmActivities } from '../../../activities/slm/slm-activities';
import { ERROR_TYPES } from '../../../activities/shared/error-types';
import type { Invocation } from '../../../activities/shared/invocation';
import {
  anthropicText,
  openAiError,
  openAiText,
  startFakeAnthropic,
  startFakeOpenAi,
  type FakeAnthropic,
  type FakeOpenAi,
} from '../../support/fake-slm';
import { testRedis, uniqueId, freshInvocation } from './helpers';

const logger = createLogger({ level: 'silent' });

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

describe('slmComplete (fake providers, real Redis budgets and limiter)', () => {
  const redis = testRedis();
  const budgets = createBudgetStore({ redis });
  let openai: FakeOpenAi;
  let anthropic: FakeAnthropic;
  let limitedProvider: string;
  let activities: ReturnType<typeof createSlmActivities>;
  let inv: Invocation;

  beforeAll(async () => {
    openai = await startFakeOpenAi({ apiKey: 'sk-openai-test-key-123456' });
    anthropic = await startFakeAnthropic({ apiKey: 'sk-ant-test-key-123456' });
    limitedProvider = uniqueId('limited');
    const providers = {
      openai: createOpenAiProvider({
        name: 'openai',
        client: new OpenAI({ apiKey: 'sk-openai-test-key-123456', baseURL: openai.baseURL, maxRetries: 0 }),
      }),
      anthropic: createAnthropicProvider({
        client: new Anthropic({
          apiKey: 'sk-ant-test-key-123456',
          baseURL: anthropic.baseURL,
          maxRetries: 0,
        }),
      }),
      [limitedProvider]: createOpenAiProvider({
        name: limitedProvider,
        client: new OpenAI({ apiKey: 'sk-openai-test-key-123456', baseURL: openai.baseURL, maxRetries: 0 }),
      }),
    };
    activities = createSlmActivities({
      providers,
      budgets,
      rateLimiter: createRateLimiter({
        redis,
        limits: { [limitedProvider]: { requests: 1, windowMs: 60_000 } },
      }),
      logger,
      prices: {
        'openai/gpt-4o-mini': { inputPerMTok: 0.15, outputPerMTok: 0.6 },
        'anthropic/claude-sonnet-4-6': { inputPerMTok: 3, outputPerMTok: 15 },
        [`${limitedProvider}/*`]: { inputPerMTok: 0, outputPerMTok: 0 },
      },
      invocation: () => inv,
    });
  });
  beforeEach(() => {
    inv = freshInvocation('1');
  });
  afterAll(async () => {
    await Promise.all([openai.close(), anthropic.close(), redis.quit()]);
  });

  const preferences = {
    planning: { provider: 'openai', model: 'gpt-4o-mini' },
    implementation: { provider: 'anthropic', model: 'claude-sonnet-4-6' },
  };

  it('routes by purpose, charges actual usage and reports the remaining budget', async () => {
    const tenant = uniqueId('tenant');
    await budgets.setLimit({ tenant, limitUsd: 10 });
    anthropic.enqueue(anthropicText('implemented', { inputTokens: 1000, outputTokens: 100 }));
    const res = await activities.slmComplete({
      tenant,
      messages: [{ role: 'user', content: 'build it' }],
      preferences,
      purpose: 'implementation',
    });
    expect(res.provider).toBe('anthropic');
    expect(res.text).toBe('implemented');
    expect(res.choice).toMatchObject({
      provider: 'anthropic',
      model: 'claude-sonnet-4-6',
      reason: 'preferred',
    });
    expect(res.costUsd).toBeCloseTo((1000 * 3 + 100 * 15) / 1e6);
    expect(res.tenantRemainingUsd).toBeCloseTo(10 - res.costUsd);
    expect(await budgets.state({ tenant })).toMatchObject({ reservedUsd: 0 });

    openai.enqueue(openAiText('plan'));
    const plan = await activities.slmComplete({
      tenant,
      messages: [{ role: 'user', content: 'plan' }],
      preferences,
      purpose: 'planning',
    });
    expect(plan.provider).toBe('openai');
    expect(openai.chatRequests().at(-1)!.model).toBe('gpt-4o-mini');
  });

  it('downgrades under a tight run budget (capsule maxSpendUsd)', async () => {
    const tenant = uniqueId('tenant');
    openai.enqueue(openAiText('cheap answer'));
    const res = await activities.slmComplete({
      tenant,
      messages: [{ role: 'user', content: 'do the work' }],
      preferences,
      purpose: 'implementation',
      runBudget: { maxSpendUsd: 0.05, spentUsd: 0.04 },
    });
    expect(res.choice).toMatchObject({ provider: 'openai', reason: 'downgraded' });
  });

  it('fails BudgetExceeded (non-retryable) without calling the provider when the tenant budget is spent', async () => {
    const tenant = uniqueId('tenant');
    await budgets.setLimit({ tenant, limitUsd: 0.000001 });
    const before = anthropic.requests.length;
    const f = await failureOf(
      activities.slmComplete({
        tenant,
        messages: [{ role: 'user', content: 'x' }],
        model: preferences.implementation,
      }),
    );
    expect(f.type).toBe(ERROR_TYPES.BudgetExceeded);
    expect(f.nonRetryable).toBe(true);
    expect(anthropic.requests.length).toBe(before);
  });

  it('releases the reservation when the provider fails, so the retry can reserve again', async () => {
    const tenant = uniqueId('tenant');
    await budgets.setLimit({ tenant, limitUsd: 1 });
    openai.enqueue(openAiError(500, 'boom', { type: 'server_error' }));
    const input = {
      tenant,
      messages: [{ role: 'user' as const, content: 'x' }],
      model: preferences.planning,
    };
    const f = await failureOf(activities.slmComplete(input));
    expect(f.type).toBe(ERROR_TYPES.SlmUnavailable);
    expect(await budgets.state({ tenant })).toMatchObject({ reservedUsd: 0, spentUsd: 0 });
    inv = { ...inv, attempt: 2 };
    openai.enqueue(openAiText('ok', { promptTokens: 100, completionTokens: 10 }));
    const ok = await activities.slmComplete(input);
    expect(ok.text).toBe('ok');
    expect((await budgets.state({ tenant })).spentUsd).toBeCloseTo(ok.costUsd);
  });

  it('activity cancellation aborts the HTTP call and gives the reservation back', async () => {
    const tenant = uniqueId('tenant');
    await budgets.setLimit({ tenant, limitUsd: 1 });
    const controller = new AbortController();
    inv = { ...inv, signal: controller.signal };
    openai.enqueue({ ...openAiText('too late'), delayMs: 3_000 });
    const started = Date.now();
    const call = activities.slmComplete({
      tenant,
      messages: [{ role: 'user', content: 'x' }],
      model: preferences.planning,
    });
    setTimeout(() => controller.abort(), 100);
    const err = await call.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(APIUserAbortError); // passed through untouched: Temporal sees a cancellation
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(await budgets.state({ tenant })).toMatchObject({ reservedUsd: 0, spentUsd: 0 });
  });

  it('our per-provider limiter turns into SlmRateLimited with nextRetryDelay', async () => {
    const tenant = uniqueId('tenant');
    openai.enqueue(openAiText('first'));
    const input = {
      tenant,
      messages: [{ role: 'user' as const, content: 'x' }],
      model: { provider: limitedProvider, model: 'm' },
    };
    await activities.slmComplete(input);
    const f = await failureOf(activities.slmComplete(input));
    expect(f.type).toBe(ERROR_TYPES.SlmRateLimited);
    expect(f.nonRetryable).toBe(false);
    expect(Number(f.nextRetryDelay)).toBeGreaterThan(50_000);
  });

  it('rejects bad input naming the field, and unknown providers', async () => {
    const tenant = uniqueId('tenant');
    const bad = await failureOf(
      activities.slmComplete({ tenant, messages: [], model: preferences.planning }),
    );
    expect(bad.type).toBe(ERROR_TYPES.InvalidActivityInput);
    expect(bad.message).toContain('messages');
    const neither = await failureOf(
      activities.slmComplete({ tenant, messages: [{ role: 'user', content: 'x' }] }),
    );
    expect(neither.message).toContain('model');
    const unknown = await failureOf(
      activities.slmComplete({
        tenant,
        messages: [{ role: 'user', content: 'x' }],
        model: { provider: 'nope', model: 'gpt-4o-mini' },
      }),
    );
    expect(unknown.type).toBe(ERROR_TYPES.SlmNotConfigured);
    expect(unknown.nonRetryable).toBe(true);
    expect(unknown.message).toContain('model nope/gpt-4o-mini names provider "nope"');
    expect(unknown.message).toMatch(/use a model of openai\/, anthropic\/, local\//);
  });

  it('refuses an unpriced model of a configured provider, naming the catalogue key to add', async () => {
    const f = await failureOf(
      activities.slmComplete({
        tenant: uniqueId('tenant'),
        messages: [{ role: 'user', content: 'x' }],
        model: { provider: 'openai', model: 'gpt-nope' },
      }),
    );
    expect(f.type).toBe(ERROR_TYPES.SlmNotConfigured);
    expect(f.message).toContain('model openai/gpt-nope has no price');
    expect(f.message).toContain('add "openai/gpt-nope" to the price catalogue');
  });

  it('refuses a price override whose key is not provider/model, naming the key', () => {
    expect(() =>
      createSlmActivities({
        providers: {},
        budgets,
        rateLimiter: createRateLimiter({ redis, limits: {} }),
        logger,
        prices: { 'gpt-4o-mini': { inputPerMTok: 0.15, outputPerMTok: 0.6 } },
      }),
    ).toThrow(
      /createSlmActivities\(\{ prices \}\): invalid price table: "gpt-4o-mini": a price key is "provider\/model"/,
    );
  });

  it('createSlmProviders builds only configured providers, local as OpenAI-compatible', async () => {
    const providers = createSlmProviders({
      LOCAL_SLM_BASE_URL: openai.baseURL,
      LOCAL_SLM_API_KEY: 'sk-openai-test-key-123456',
    });
    expect(Object.keys(providers)).toEqual(['local']);
    openai.enqueue(openAiText('from local'));
    const res = await providers.local!.complete({
      model: 'qwen2.5:0.5b',
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(res).toMatchObject({ provider: 'local', text: 'from local' });
    expect(openai.chatRequests().at(-1)!.max_tokens).toBe(1024);
  });

  it('createSlmProviders turns on exactly the providers the catalogue reports as configured', () => {
    const variables = {
      OPENAI_API_KEY: 'sk-openai-test-key-123456',
      ANTHROPIC_API_KEY: 'sk-ant-test-key-123456',
      LOCAL_SLM_BASE_URL: openai.baseURL,
    } as const;
    const names = Object.keys(variables) as (keyof typeof variables)[];
    // Every subset of the three variables.
    for (let mask = 0; mask < 1 << names.length; mask++) {
      const config = Object.fromEntries(
        names.filter((_, i) => mask & (1 << i)).map((n) => [n, variables[n]]),
      );
      expect(Object.keys(createSlmProviders(config))).toEqual(configuredProviders(config));
    }
  });
});

describe('slmComplete with the shipped catalogue and providers built from config', () => {
  const redis = testRedis();
  const budgets = createBudgetStore({ redis });
  let openai: FakeOpenAi;
  let anthropic: FakeAnthropic;
  const activitiesFor = (config: Parameters<typeof createSlmProviders>[0]) =>
    createSlmActivities({
      providers: createSlmProviders(config),
      budgets,
      rateLimiter: createRateLimiter({ redis, limits: {} }),
      logger,
      invocation: () => freshInvocation('1'),
    });
  const sonnet = { provider: 'anthropic', model: 'claude-sonnet-4-5' };

  beforeAll(async () => {
    openai = await startFakeOpenAi({ apiKey: 'sk-openai-test-key-123456' });
    anthropic = await startFakeAnthropic({ apiKey: 'sk-ant-test-key-123456' });
  });
  afterAll(async () => {
    await Promise.all([openai.close(), anthropic.close(), redis.quit()]);
  });

  it('blames the missing key, not the prices, when the provider of a persona model is not configured', async () => {
    const activities = activitiesFor({
      OPENAI_API_KEY: 'sk-openai-test-key-123456',
      OPENAI_BASE_URL: openai.baseURL,
    });
    const f = await failureOf(
      activities.slmComplete({
        tenant: uniqueId('tenant'),
        messages: [{ role: 'user', content: 'x' }],
        model: sonnet,
      }),
    );
    expect(f.type).toBe(ERROR_TYPES.SlmNotConfigured);
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toBe(
      'model anthropic/claude-sonnet-4-5 needs the "anthropic" provider: set ANTHROPIC_API_KEY (and ANTHROPIC_BASE_URL for a compatible server)',
    );
    expect(f.message).not.toContain('sk-');
  });

  it('runs and prices every model a shipped persona names once its provider is configured', async () => {
    const activities = activitiesFor({
      OPENAI_API_KEY: 'sk-openai-test-key-123456',
      OPENAI_BASE_URL: openai.baseURL,
      ANTHROPIC_API_KEY: 'sk-ant-test-key-123456',
      ANTHROPIC_BASE_URL: anthropic.baseURL,
    });
    const library = await loadLibrary([BUILTIN_LIBRARY_DIR]);
    const models = new Set(
      library.personas.flatMap((p) => Object.values(p.value.model).filter((m): m is string => Boolean(m))),
    );
    expect(models).toContain('anthropic/claude-sonnet-4-6');
    for (const ref of models) {
      const model = splitModelRef(ref);
      const usage = { inputTokens: 1000, outputTokens: 100 };
      if (model.provider === 'anthropic') anthropic.enqueue(anthropicText('ok', usage));
      else openai.enqueue(openAiText('ok', { promptTokens: 1000, completionTokens: 100 }));
      const res = await activities.slmComplete({
        tenant: uniqueId('tenant'),
        messages: [{ role: 'user', content: 'x' }],
        model,
      });
      const price = priceOf(DEFAULT_PRICES, ref)!;
      expect({ ref, cost: res.costUsd }).toEqual({ ref, cost: costUsd(price, usage) });
      expect(res.costUsd).toBeGreaterThan(0);
    }
  });
});
