import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityExecuteInput } from '@temporalio/worker';
import { createMemoryStore } from '../../../../activities/memory/memory-store';
import { ERROR_TYPES } from '../../../../activities/shared/error-types';
import { builtinTools } from '../../../../activities/tools/builtin-tools';
import { createExecutionLog } from '../../../../activities/tools/execution-log';
import { createHttpRequester, type HttpToolOptions } from '../../../../activities/tools/http-request';
import { createToolRegistry } from '../../../../activities/tools/registry';
import { createToolActivities, createToolPrecheck } from '../../../../activities/tools/tool-activities';
import { createWorkspaces } from '../../../../activities/tools/workspace';
import { parseEnvelope } from '../../../../services/events';
import { createLogger } from '../../../../services/logger';
import { createPool } from '../../../../services/postgres';
import {
  ConstitutionGateInterceptor,
  createConstitutionHolder,
  GATE_UNAVAILABLE,
  toolCatalogFromRegistry,
  type ActivityPrecheck,
  type ConstitutionGateDeps,
  type ConstitutionHolder,
  type GateActivityInfo,
} from '../../../../workers/gate';
import { activityInfo, gateContext, headersWith } from '../../../fixtures/workers/gate';
import { freshInvocation } from '../../activities/helpers';
import { createGateTestStore, type GateTestStore } from './constitution-store';

// The gate with the worker's real tool registry, pre-check and http tool (real DNS: `localhost`
// from /etc/hosts) over a private database. Constitution v1 below: θ 0.7, θ_review 0.5, so with
// persona trust 0.9 http.request GET scores 0.58 and workspace.write 0.63 (both review band),
// http.request POST 0.43 (deny), workspace.read 0.98 (allow).

const logger = createLogger({ level: 'silent' });
let store: GateTestStore;
let holder: ConstitutionHolder;
let root: string;

beforeAll(async () => {
  store = await createGateTestStore('gate_precheck');
  await store.publish(1, { threshold: 0.7, reviewThreshold: 0.5 });
  holder = createConstitutionHolder({ pool: store.pool, trustStore: store.trustStore, logger });
  await holder.start();
  root = await mkdtemp(path.join(os.tmpdir(), 'somagent-gate-precheck-'));
});
afterAll(async () => {
  holder?.stop();
  await store?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

/** The worker's composition for tool calls: one registry for the gate, its pre-check and the activity. */
function worker(http: Partial<HttpToolOptions> = {}) {
  const registry = createToolRegistry(
    builtinTools({
      workspaces: createWorkspaces({ root }),
      httpRequest: createHttpRequester({ allowedHosts: ['localhost', '93.184.216.34'], ...http }),
      memory: createMemoryStore({ pool: store.pool }),
    }),
  );
  const precheck = createToolPrecheck({ registry });
  let asked = 0;
  const counted: ActivityPrecheck = (input, signal) => {
    asked += 1;
    return precheck(input, signal);
  };
  const deps: ConstitutionGateDeps = {
    pool: store.pool,
    holder,
    logger,
    toolCatalog: toolCatalogFromRegistry(registry),
    prechecks: { executeTool: counted },
  };
  const activities = createToolActivities({
    registry,
    executionLog: createExecutionLog({ pool: store.pool }),
    logger,
    invocation: () => freshInvocation(),
  });
  return { deps, activities, asked: () => asked };
}

function toolInput(
  info: GateActivityInfo,
  toolId: string,
  args: unknown,
  context = {},
): ActivityExecuteInput {
  return {
    args: [{ toolId, arguments: args, context: { tenant: 'acme', ...context } }],
    headers: headersWith(gateContext(info)),
  };
}

function recordingNext() {
  const calls: ActivityExecuteInput[] = [];
  return {
    calls,
    next: (input: ActivityExecuteInput) => {
      calls.push(input);
      return Promise.resolve({ ran: true });
    },
  };
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

async function decisions(workflowId: string) {
  const { rows } = await store.pool.query<{ envelope: unknown }>(
    `SELECT envelope FROM outbox WHERE envelope->>'type' = 'gate.decision' AND key = $1 ORDER BY seq`,
    [workflowId],
  );
  return rows.map((r) => parseEnvelope(r.envelope).data);
}

describe('the gate asks the tool before a human: review-band calls the tool refuses', () => {
  it('an allow-listed name resolving to loopback fails with the tool’s refusal, recorded, nobody asked', async () => {
    const { deps, activities } = worker();
    const info = activityInfo();
    const { calls, next } = recordingNext();
    const args = { url: 'http://localhost:9/status', method: 'GET' };
    const failure = await failureOf(
      new ConstitutionGateInterceptor(deps, info).execute(toolInput(info, 'http.request', args), next),
    );
    expect(calls).toHaveLength(0);
    expect(failure.type).toBe(ERROR_TYPES.HostNotAllowed);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(
      /^http\.request: host localhost resolves to 127\.0\.0\.1, a loopback address: refused; .*HTTP_TOOL_ALLOWED_CIDRS=127\.0\.0\.1\/32/,
    );
    expect(failure.details?.[0]).toMatchObject({
      toolId: 'http.request',
      host: 'localhost',
      range: 'loopback',
    });

    // Exactly what executeTool itself raises for the call, had it been approved and run.
    const own = await failureOf(
      activities.executeTool({ toolId: 'http.request', arguments: args, context: { tenant: 'acme' } }),
    );
    expect({ type: own.type, message: own.message }).toEqual({
      type: failure.type,
      message: failure.message,
    });

    const [data, ...more] = await decisions(info.workflowExecution!.workflowId);
    expect(more).toHaveLength(0);
    expect(data).toMatchObject({
      decision: 'review',
      outcome: 'refused',
      refusal: { type: 'HostNotAllowed' },
      toolId: 'http.request',
      score: 0.58,
      approvalId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(data!.reason).toMatch(
      /^refused by the activity's own checks \(HostNotAllowed\) before anyone was asked to approve; the action needs approval \(score 0\.58 in the review band/,
    );
    // The refusal's message (it may quote arguments) stays out of the audit record.
    expect(JSON.stringify(data)).not.toContain('resolves to');
  });

  it('a host off the worker allowlist, or removed by the capsule guardrail, is refused the same way', async () => {
    const { deps } = worker();
    for (const [args, context, message] of [
      [
        { url: 'http://intranet.example/', method: 'GET' },
        {},
        'http.request: host intranet.example is not on the allowlist',
      ],
      [
        { url: 'http://93.184.216.34/', method: 'GET' },
        { guardrails: { allowedHosts: ['api.example.com'] } },
        'http.request: host 93.184.216.34 is not on the allowlist',
      ],
    ] as const) {
      const info = activityInfo();
      const { calls, next } = recordingNext();
      const failure = await failureOf(
        new ConstitutionGateInterceptor(deps, info).execute(
          toolInput(info, 'http.request', args, context),
          next,
        ),
      );
      expect(calls).toHaveLength(0);
      expect({ type: failure.type, message: failure.message }).toEqual({
        type: ERROR_TYPES.HostNotAllowed,
        message,
      });
      expect(await decisions(info.workflowExecution!.workflowId)).toEqual([
        expect.objectContaining({ decision: 'review', outcome: 'refused' }),
      ]);
    }
  });

  it('bad arguments are refused with the field named instead of going to review', async () => {
    const { deps } = worker();
    const cases = [
      ['workspace.write', { path: 'report.md' }, /^workspace\.write: arguments\.content: /],
      [
        'http.request',
        { url: 'ftp://files.example/x', method: 'GET' },
        /^http\.request: arguments\.url: only http and https/,
      ],
      [
        'http.request',
        { url: 'http://localhost/', method: 'GET', headers: { Host: 'admin' } },
        /arguments\.headers\.Host: set by the tool/,
      ],
    ] as const;
    for (const [toolId, args, message] of cases) {
      const info = activityInfo();
      const failure = await failureOf(
        new ConstitutionGateInterceptor(deps, info).execute(
          toolInput(info, toolId, args),
          recordingNext().next,
        ),
      );
      expect(failure.type).toBe(ERROR_TYPES.ToolArgumentsInvalid);
      expect(failure.message).toMatch(message);
      expect(await decisions(info.workflowExecution!.workflowId)).toEqual([
        expect.objectContaining({
          decision: 'review',
          outcome: 'refused',
          refusal: { type: 'ToolArgumentsInvalid' },
        }),
      ]);
    }
  });
});

describe('what still goes to a human, or is still denied', () => {
  it('review-band calls the tool accepts still wait for approval', async () => {
    const { deps, asked } = worker();
    for (const [toolId, args] of [
      ['http.request', { url: 'http://93.184.216.34/data', method: 'GET' }],
      ['workspace.write', { path: 'report.md', content: 'draft' }],
    ] as const) {
      const info = activityInfo();
      const { calls, next } = recordingNext();
      const failure = await failureOf(
        new ConstitutionGateInterceptor(deps, info).execute(toolInput(info, toolId, args), next),
      );
      expect(calls).toHaveLength(0);
      expect(failure.type).toBe('ApprovalRequired');
      expect(await decisions(info.workflowExecution!.workflowId)).toEqual([
        expect.objectContaining({ decision: 'review', outcome: 'review' }),
      ]);
    }
    expect(asked()).toBe(2);
  });

  it('a pre-check that cannot finish (DNS hangs or fails transiently, or throws) leaves the review as it was', async () => {
    const hanging = worker({
      allowedHosts: ['slow.example.org'],
      resolver: () => new Promise(() => undefined),
    });
    const transient = worker({
      allowedHosts: ['flaky.example.org'],
      resolver: () => Promise.reject(Object.assign(new Error('try again'), { code: 'EAI_AGAIN' })),
    });
    const throwing: ConstitutionGateDeps = {
      ...hanging.deps,
      prechecks: { executeTool: () => Promise.reject(new Error('pre-check bug')) },
    };
    for (const [deps, url] of [
      [{ ...hanging.deps, precheckTimeoutMs: 100 }, 'http://slow.example.org/'],
      [transient.deps, 'http://flaky.example.org/'],
      [throwing, 'http://slow.example.org/'],
    ] as const) {
      const info = activityInfo();
      const started = Date.now();
      const failure = await failureOf(
        new ConstitutionGateInterceptor(deps, info).execute(
          toolInput(info, 'http.request', { url, method: 'GET' }),
          recordingNext().next,
        ),
      );
      expect({ url, type: failure.type }).toEqual({ url, type: 'ApprovalRequired' });
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(await decisions(info.workflowExecution!.workflowId)).toEqual([
        expect.objectContaining({ outcome: 'review' }),
      ]);
    }
  });

  it('a denial wins: the pre-check is not asked and the call is ConstitutionDenied', async () => {
    const { deps, asked } = worker();
    const info = activityInfo();
    const failure = await failureOf(
      new ConstitutionGateInterceptor(deps, info).execute(
        toolInput(info, 'http.request', { url: 'http://localhost/', method: 'POST', body: '{}' }),
        recordingNext().next,
      ),
    );
    expect(failure.type).toBe('ConstitutionDenied');
    expect(asked()).toBe(0);
  });

  it('the refusal is thrown only once it is recorded: without Postgres the gate is unavailable (retryable)', async () => {
    const { deps } = worker();
    const dead = createPool({ url: 'postgres://postgres@127.0.0.1:1/none', max: 1 });
    const info = activityInfo();
    const { calls, next } = recordingNext();
    try {
      const failure = await failureOf(
        new ConstitutionGateInterceptor({ ...deps, pool: dead }, info).execute(
          toolInput(info, 'http.request', { url: 'http://localhost/', method: 'GET' }),
          next,
        ),
      );
      expect(failure.type).toBe(GATE_UNAVAILABLE);
      expect(failure.nonRetryable).toBe(false);
    } finally {
      await dead.end();
    }
    expect(calls).toHaveLength(0);
    expect(await decisions(info.workflowExecution!.workflowId)).toHaveLength(0);
  });
});
