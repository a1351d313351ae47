import { randomUUID } from 'node:crypto';
import { defaultPayloadConverter, type Headers, type Payload } from '@temporalio/common';
import type { ActivityInput, LocalActivityInput } from '@temporalio/workflow';
import {
  buildGateContext,
  decodeGateContext,
  recordGateOutcome,
  encodeGateContext,
  GATE_CONTEXT_VERSION,
  GateContextError,
  readGateContext,
  withGateContext,
  type GateContext,
} from '../../../workflows/gate-context';
import {
  createGateContextInterceptor,
  interceptors,
  setGateContextProvider,
} from '../../../workflows/gate-context-interceptor';
import { GATE_CONTEXT_HEADER } from '../../../workflows/shared/constants';

const context = (overrides: Partial<GateContext> = {}): GateContext => ({
  version: GATE_CONTEXT_VERSION,
  tenant: 'acme',
  capsuleId: 'product.launch',
  capsuleVersion: '1.2.0',
  persona: { id: 'analyst', trustLevel: 0.7 },
  guardrails: { minThreshold: 0.6, deniedTools: ['http.request'], maxSpendUsd: 5 },
  toolSuite: ['workspace.read', 'memory.recall'],
  budget: { spentUsd: 0.42, limitUsd: 5, spentTokens: 12000, limitTokens: null },
  taint: ['pii'],
  trainingMode: false,
  denials: { recent: 1, window: 20 },
  workflowId: `wf-${randomUUID()}`,
  runId: 'run-1',
  rootWorkflowId: 'root-1',
  depth: 1,
  ...overrides,
});

const activityInput = (headers: Headers = {}): ActivityInput => ({
  activityType: 'executeTool',
  args: [{ tool: 'workspace.read', args: { path: 'a.txt' } }],
  options: { startToCloseTimeout: '1 minute' },
  headers,
  seq: 3,
});

describe('gate context payload', () => {
  it('round-trips through a JSON payload', () => {
    const ctx = context();
    const payload = encodeGateContext(ctx);
    expect(new TextDecoder().decode(payload.metadata!.encoding)).toBe('json/plain');
    expect(decodeGateContext(payload)).toEqual(ctx);
  });

  it('names every bad field when decoding', () => {
    const bad = { ...context(), tenant: '', persona: { id: 'x', trustLevel: 2 }, extra: true } as unknown;
    let error: unknown;
    try {
      decodeGateContext(defaultPayloadConverter.toPayload(bad));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(GateContextError);
    const paths = (error as GateContextError).issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['tenant', 'persona.trustLevel', '(context)']));
    expect((error as Error).message).toMatch(/^Invalid gate context header: /);
  });

  it('refuses a header from a different schema version and a non-JSON payload', () => {
    const old = defaultPayloadConverter.toPayload({ ...context(), version: 0 });
    expect(() => decodeGateContext(old)).toThrow(/version: expected version 1/);
    const binary: Payload = defaultPayloadConverter.toPayload(new Uint8Array([1, 2, 3]));
    expect(() => decodeGateContext(binary)).toThrow(GateContextError);
  });

  it('sets the header without touching others, and reads it back', () => {
    const other = defaultPayloadConverter.toPayload('trace-1');
    const headers = withGateContext({ traceparent: other }, context({ tenant: 'globex' }));
    expect(Object.keys(headers).sort()).toEqual([GATE_CONTEXT_HEADER, 'traceparent']);
    expect(headers.traceparent).toBe(other);
    expect(readGateContext(headers)?.tenant).toBe('globex');
    expect(readGateContext({})).toBeUndefined();
  });
});

describe('gate context interceptor', () => {
  it('adds the header to every scheduled activity, built from the provider at scheduling time', async () => {
    let spent = 0.1;
    const seen: Array<{ activityType: string; args: readonly unknown[] }> = [];
    const interceptor = createGateContextInterceptor((activity) => {
      seen.push(activity);
      return context({ budget: { spentUsd: spent, limitUsd: 5, spentTokens: 0, limitTokens: null } });
    });
    const forwarded: ActivityInput[] = [];
    const next = (input: ActivityInput) => {
      forwarded.push(input);
      return Promise.resolve(`result-${input.seq}`);
    };
    const existing = defaultPayloadConverter.toPayload('keep me');
    await expect(interceptor.scheduleActivity!(activityInput({ other: existing }), next)).resolves.toBe(
      'result-3',
    );
    spent = 0.9;
    await interceptor.scheduleActivity!(activityInput(), next);

    expect(seen.map((s) => s.activityType)).toEqual(['executeTool', 'executeTool']);
    expect(seen[0]!.args).toEqual([{ tool: 'workspace.read', args: { path: 'a.txt' } }]);
    expect(forwarded[0]!.headers.other).toBe(existing);
    expect(readGateContext(forwarded[0]!.headers)!.budget.spentUsd).toBe(0.1);
    expect(readGateContext(forwarded[1]!.headers)!.budget.spentUsd).toBe(0.9);
    expect(forwarded[0]!.activityType).toBe('executeTool');
    expect(forwarded[0]!.seq).toBe(3);
  });

  it('also covers local activities, and passes input through unchanged without a context', async () => {
    const interceptor = createGateContextInterceptor((a) =>
      a.activityType === 'platformOnly' ? undefined : context(),
    );
    const local: LocalActivityInput = {
      activityType: 'recallMemory',
      args: [],
      options: { startToCloseTimeout: '5 seconds' },
      headers: {},
      seq: 1,
      originalScheduleTime: undefined,
      attempt: 1,
    };
    let forwardedLocal: LocalActivityInput | undefined;
    await interceptor.scheduleLocalActivity!(local, (input) => {
      forwardedLocal = input;
      return Promise.resolve(undefined);
    });
    expect(readGateContext(forwardedLocal!.headers)?.capsuleId).toBe('product.launch');

    const plain = { ...activityInput(), activityType: 'platformOnly' };
    let forwarded: ActivityInput | undefined;
    await interceptor.scheduleActivity!(plain, (input) => {
      forwarded = input;
      return Promise.resolve(undefined);
    });
    expect(forwarded).toBe(plain);
  });

  it('the interceptors module reads the provider the workflow registered', async () => {
    const outbound = interceptors().outbound![0]!;
    const capture = (input: ActivityInput) => Promise.resolve(input.headers);
    setGateContextProvider(undefined);
    await expect(outbound.scheduleActivity!(activityInput(), capture)).resolves.toEqual({});
    setGateContextProvider(() => context({ tenant: 'initech' }));
    const headers = (await outbound.scheduleActivity!(activityInput(), capture)) as Headers;
    expect(readGateContext(headers)?.tenant).toBe('initech');
    setGateContextProvider(undefined);
  });
});

describe('building the gate context from workflow state', () => {
  const state = {
    tenant: 'acme',
    capsule: { id: 'product.launch', version: '1.2.0' },
    persona: { id: 'analyst', trustLevel: 0.7 },
    guardrails: { maxSpendUsd: 2, deniedTools: ['shell.exec'] },
    tools: ['workspace.read'],
    spent: { inputTokens: 1000, outputTokens: 200, costUsd: 0.3 },
    limits: { tokens: 50_000, usd: 5 },
    taint: ['pii'],
    trainingMode: true,
    denials: { recent: 0, window: 3 },
    workflowId: 'wf-p',
    runId: 'run-p',
    rootWorkflowId: 'wf-root',
    depth: 2,
  };

  it('carries spend and the tighter of budget and guardrail spend limits, and decodes cleanly', () => {
    const ctx = buildGateContext(state);
    expect(ctx.budget).toEqual({ spentUsd: 0.3, limitUsd: 2, spentTokens: 1200, limitTokens: 50_000 });
    expect(
      buildGateContext({ ...state, guardrails: {}, limits: { tokens: null, usd: null } }).budget.limitUsd,
    ).toBeNull();
    expect(
      buildGateContext({ ...state, guardrails: { maxSpendUsd: 9 }, limits: { tokens: null, usd: null } })
        .budget.limitUsd,
    ).toBe(9);
    expect(decodeGateContext(encodeGateContext(ctx))).toEqual(ctx);
    expect(ctx).toMatchObject({
      capsuleId: 'product.launch',
      capsuleVersion: '1.2.0',
      trainingMode: true,
      depth: 2,
    });
  });

  it('copies state so later workflow mutations do not change an already built context', () => {
    const tools = ['workspace.read'];
    const ctx = buildGateContext({ ...state, tools });
    tools.push('http.request');
    expect(ctx.toolSuite).toEqual(['workspace.read']);
  });

  it('keeps a sliding window of gate denials', () => {
    let window = recordGateOutcome([], false, 3);
    window = recordGateOutcome(window.history, true, 3);
    expect(window.denials).toEqual({ recent: 1, window: 2 });
    window = recordGateOutcome(window.history, true, 3);
    window = recordGateOutcome(window.history, false, 3);
    expect(window).toEqual({ history: [true, true, false], denials: { recent: 2, window: 3 } });
    window = recordGateOutcome(window.history, false, 3);
    window = recordGateOutcome(window.history, false, 3);
    expect(window.denials).toEqual({ recent: 0, window: 3 });
  });
});
