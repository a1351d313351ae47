import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { createLogger } from '../../../services/logger';
import { createMemoryStore } from '../../../activities/memory/memory-store';
import { ERROR_TYPES } from '../../../activities/shared/error-types';
import type { Invocation } from '../../../activities/shared/invocation';
import { BUILTIN_TOOL_IDS, builtinTools } from '../../../activities/tools/builtin-tools';
import { createExecutionLog } from '../../../activities/tools/execution-log';
import { createHttpRequester, idempotencyKeyHeaderValue } from '../../../activities/tools/http-request';
import { createToolRegistry, defineTool } from '../../../activities/tools/registry';
import { createToolActivities } from '../../../activities/tools/tool-activities';
import { createWorkspaces } from '../../../activities/tools/workspace';
import { testPool } from '../../support/pg';
import { uniqueId, freshInvocation } from './helpers';
import { z } from 'zod';

const SECRET = 'sk-live-deployment-secret-0123456789';

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

describe('tool activities (real Postgres, real filesystem, local HTTP server)', () => {
  const pool = testPool();
  let root: string;
  let server: Server;
  let origin: string;
  const received: { method: string; url: string; headers: Record<string, unknown>; body: string }[] = [];
  let sideEffects = 0;
  let inv: Invocation;
  let activities: ReturnType<typeof createToolActivities>;

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'somagent-tools-'));
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        if (req.url === '/big') {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('z'.repeat(5000)); // over the 4 KiB cap, sent without a declared length below
          return;
        }
        if (req.url === '/stream-big') {
          res.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' });
          for (let i = 0; i < 10; i++) res.write('w'.repeat(1000));
          res.end();
          return;
        }
        if (req.url === '/redirect') {
          res.writeHead(302, { location: 'http://evil.example/' });
          res.end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': 'session=abc' });
        res.end(JSON.stringify({ ok: true, method: req.method, echo: body }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const registry = createToolRegistry([
      ...builtinTools({
        workspaces: createWorkspaces({ root }),
        httpRequest: createHttpRequester({
          allowedHosts: ['127.0.0.1', '*.example.org'],
          // The local server is on loopback, which the tool refuses unless the operator allows it.
          allowedCidrs: ['127.0.0.1/32'],
          maxResponseBytes: 4096,
          secrets: [SECRET],
        }),
        memory: createMemoryStore({ pool }),
      }),
      defineTool({
        id: 'test.counter',
        description: 'Counts side effects',
        args: z.object({ by: z.number().int() }),
        risk: 'medium',
        category: 'test',
        sideEffect: 'write',
        egress: false,
        execute: async ({ by }) => {
          sideEffects += by;
          await new Promise((r) => setTimeout(r, 30));
          return { total: sideEffects };
        },
      }),
    ]);
    activities = createToolActivities({
      registry,
      executionLog: createExecutionLog({ pool }),
      logger: createLogger({ level: 'silent' }),
      invocation: () => inv,
    });
  });
  beforeEach(() => {
    inv = freshInvocation('3');
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await rm(root, { recursive: true, force: true });
    await pool.end();
  });

  const context = (extra: Record<string, unknown> = {}) => ({ tenant: uniqueId('tenant'), ...extra });

  it('lists every built-in with its risk metadata and SLM definitions', async () => {
    const { tools, definitions } = await activities.listTools({});
    expect(tools.map((t) => t.id)).toEqual(expect.arrayContaining(Object.values(BUILTIN_TOOL_IDS)));
    expect(tools.find((t) => t.id === 'http.request')).toMatchObject({
      risk: 'high',
      egress: true,
      sideEffect: 'write',
    });
    expect(tools.find((t) => t.id === 'finish')).toMatchObject({ workflowHandled: true });
    const read = definitions.find((d) => d.name === 'workspace.read')!;
    expect(read.parameters).toMatchObject({
      type: 'object',
      required: ['path'],
      additionalProperties: false,
    });
    expect(read.parameters.$schema).toBeUndefined();
    expect(
      (await activities.listTools({ ids: ['finish', 'workspace.list'] })).tools.map((t) => t.id),
    ).toEqual(['finish', 'workspace.list']);
  });

  it('a write tool runs once per idempotency key: a retry gets the recorded result', async () => {
    const before = sideEffects;
    const first = await activities.executeTool({
      toolId: 'test.counter',
      arguments: { by: 1 },
      context: context(),
    });
    inv = { ...inv, attempt: 2 }; // the same activity retried
    const again = await activities.executeTool({
      toolId: 'test.counter',
      arguments: { by: 1 },
      context: context(),
    });
    expect(sideEffects).toBe(before + 1);
    expect(first.replayed).toBe(false);
    expect(again).toEqual({ ...first, replayed: true });
    const { rows } = await pool.query(
      'SELECT tool_id, workflow_id, result FROM tool_executions WHERE idempotency_key = $1',
      [first.idempotencyKey],
    );
    expect(rows).toEqual([{ tool_id: 'test.counter', workflow_id: inv.workflowId, result: first.output }]);
  });

  it('concurrent attempts with one key still perform the effect once', async () => {
    const before = sideEffects;
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        activities.executeTool({ toolId: 'test.counter', arguments: { by: 1 }, context: context() }),
      ),
    );
    expect(sideEffects).toBe(before + 1);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
  });

  it('different call indexes, activities and runs are different effects', async () => {
    const before = sideEffects;
    await activities.executeTool({
      toolId: 'test.counter',
      arguments: { by: 1 },
      callIndex: 0,
      context: context(),
    });
    await activities.executeTool({
      toolId: 'test.counter',
      arguments: { by: 1 },
      callIndex: 1,
      context: context(),
    });
    inv = { ...inv, activityId: '4' };
    await activities.executeTool({ toolId: 'test.counter', arguments: { by: 1 }, context: context() });
    inv = { ...inv, runId: uniqueId('run') }; // continue-as-new restarts activity ids
    await activities.executeTool({ toolId: 'test.counter', arguments: { by: 1 }, context: context() });
    expect(sideEffects).toBe(before + 4);
  });

  it('workspace tools act in the run workspace and confine paths', async () => {
    const written = await activities.executeTool({
      toolId: 'workspace.write',
      arguments: { path: 'out/report.md', content: '# Report' },
      context: context(),
    });
    expect(written.output).toEqual({ path: 'out/report.md', bytes: 8 });
    const read = await activities.executeTool({
      toolId: 'workspace.read',
      arguments: { path: 'out/report.md' },
      context: context(),
    });
    expect(read.output).toMatchObject({ content: '# Report' });
    // Another persona of the run shares the workspace through workspaceId.
    const other = inv.workflowId;
    inv = { ...inv, workflowId: uniqueId('child') };
    const shared = await activities.executeTool({
      toolId: 'workspace.list',
      arguments: { recursive: true },
      context: context({ workspaceId: other }),
    });
    expect((shared.output as { entries: { path: string }[] }).entries.map((e) => e.path)).toContain(
      path.join('out', 'report.md'),
    );

    const escape = await failureOf(
      activities.executeTool({
        toolId: 'workspace.read',
        arguments: { path: '../../etc/passwd' },
        context: context(),
      }),
    );
    expect(escape.type).toBe(ERROR_TYPES.PathEscape);
    expect(escape.nonRetryable).toBe(true);
  });

  it('rejects invalid arguments naming the field, unknown tools, and workflow-handled tools', async () => {
    const bad = await failureOf(
      activities.executeTool({ toolId: 'workspace.write', arguments: { path: 'a' }, context: context() }),
    );
    expect(bad.type).toBe(ERROR_TYPES.ToolArgumentsInvalid);
    expect(bad.nonRetryable).toBe(true);
    expect(bad.message).toContain('arguments.content');
    const extra = await failureOf(
      activities.executeTool({
        toolId: 'workspace.read',
        arguments: { path: 'a', mode: 'x' },
        context: context(),
      }),
    );
    expect(extra.message).toContain('mode');
    const raw = await failureOf(
      activities.executeTool({ toolId: 'workspace.read', arguments: '{"path": ', context: context() }),
    );
    expect(raw.type).toBe(ERROR_TYPES.ToolArgumentsInvalid);
    expect(
      (await failureOf(activities.executeTool({ toolId: 'shell.exec', arguments: {}, context: context() })))
        .type,
    ).toBe(ERROR_TYPES.ToolNotFound);
    expect(
      (
        await failureOf(
          activities.executeTool({ toolId: 'finish', arguments: { result: 'x' }, context: context() }),
        )
      ).type,
    ).toBe(ERROR_TYPES.ToolNotExecutable);
    const noTenant = await failureOf(
      activities.executeTool({ toolId: 'workspace.list', arguments: {}, context: {} as never }),
    );
    expect(noTenant.type).toBe(ERROR_TYPES.InvalidActivityInput);
    expect(noTenant.message).toContain('context.tenant');
  });

  describe('http.request', () => {
    it('GETs and POSTs to an allowed host, returning status, safe headers and body', async () => {
      const get = await activities.executeTool({
        toolId: 'http.request',
        arguments: { url: `${origin}/data` },
        context: context(),
      });
      expect(get.output).toMatchObject({
        status: 200,
        body: JSON.stringify({ ok: true, method: 'GET', echo: '' }),
      });
      const headers = (get.output as { headers: Record<string, string> }).headers;
      expect(headers['content-type']).toBe('application/json');
      expect(headers['set-cookie']).toBeUndefined();
      const post = await activities.executeTool({
        toolId: 'http.request',
        arguments: {
          url: `${origin}/submit`,
          method: 'POST',
          body: '{"a":1}',
          headers: { 'content-type': 'application/json', 'idempotency-key': 'made-up' },
        },
        callIndex: 1,
        context: context(),
      });
      expect(post.output).toMatchObject({ status: 200 });
      expect(received.at(-1)).toMatchObject({ method: 'POST', url: '/submit', body: '{"a":1}' });
      expect(received.at(-1)!.headers.authorization).toBeUndefined();
      // The POST carries the call's own key (hashed), not the model's; the GET none.
      expect(received.at(-1)!.headers['idempotency-key']).toBe(
        idempotencyKeyHeaderValue(post.idempotencyKey),
      );
      expect(received.at(-2)!.headers['idempotency-key']).toBeUndefined();
    });

    it('refuses hosts off the allowlist and hosts the capsule guardrail removes', async () => {
      const count = received.length;
      const off = await failureOf(
        activities.executeTool({
          toolId: 'http.request',
          arguments: { url: 'http://localhost:1/x' },
          context: context(),
        }),
      );
      expect(off.type).toBe(ERROR_TYPES.HostNotAllowed);
      expect(off.nonRetryable).toBe(true);
      const narrowed = await failureOf(
        activities.executeTool({
          toolId: 'http.request',
          arguments: { url: `${origin}/data` },
          context: context({ guardrails: { allowedHosts: ['api.example.org'] } }),
        }),
      );
      expect(narrowed.type).toBe(ERROR_TYPES.HostNotAllowed);
      expect(received.length).toBe(count);
    });

    it('refuses credential headers and requests that carry a deployment secret', async () => {
      const auth = await failureOf(
        activities.executeTool({
          toolId: 'http.request',
          arguments: { url: `${origin}/x`, headers: { Authorization: 'Bearer abc' } },
          context: context(),
        }),
      );
      expect(auth.type).toBe(ERROR_TYPES.ToolArgumentsInvalid);
      const leak = await failureOf(
        activities.executeTool({
          toolId: 'http.request',
          arguments: { url: `${origin}/x`, method: 'POST', body: `key=${SECRET}` },
          context: context(),
        }),
      );
      expect(leak.type).toBe(ERROR_TYPES.ToolArgumentsInvalid);
      expect(JSON.stringify([leak.message, leak.details, leak.cause?.message])).not.toContain(SECRET);
      expect(received.some((r) => r.body.includes(SECRET))).toBe(false);
    });

    it('caps response size (declared and streamed) and re-checks the allowlist on a redirect', async () => {
      for (const p of ['/big', '/stream-big']) {
        const f = await failureOf(
          activities.executeTool({
            toolId: 'http.request',
            arguments: { url: `${origin}${p}` },
            context: context(),
          }),
        );
        expect(f.type).toBe(ERROR_TYPES.ResponseTooLarge);
      }
      const redirect = await failureOf(
        activities.executeTool({
          toolId: 'http.request',
          arguments: { url: `${origin}/redirect` },
          context: context(),
        }),
      );
      expect(redirect.type).toBe(ERROR_TYPES.HostNotAllowed);
      expect(redirect.nonRetryable).toBe(true);
      expect(redirect.message).toBe(
        'http.request: redirect from 127.0.0.1 to host evil.example is not on the allowlist',
      );
    });

    it('a network failure is retryable ToolUnavailable', async () => {
      const requester = createHttpRequester({ allowedHosts: ['127.0.0.1'], allowedCidrs: ['127.0.0.1'] });
      const err = await requester
        .request({ url: 'http://127.0.0.1:1/', method: 'GET' }, { signal: new AbortController().signal })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'ToolError', type: ERROR_TYPES.ToolUnavailable });
    });
  });

  it('memory tools remember once per call and recall within the persona scope', async () => {
    const ctx = context({ capsule: 'cap', persona: 'dev' });
    const first = await activities.executeTool({
      toolId: 'memory.remember',
      arguments: { content: 'The API uses cursor pagination', tags: ['api'] },
      context: ctx,
    });
    const retried = await activities.executeTool({
      toolId: 'memory.remember',
      arguments: { content: 'The API uses cursor pagination', tags: ['api'] },
      context: ctx,
    });
    // memory.remember is idempotent on its own key (no execution record, no second connection).
    expect(first.output).toMatchObject({ created: true });
    expect(retried.output).toEqual({ id: (first.output as { id: string }).id, created: false });
    const recalled = await activities.executeTool({
      toolId: 'memory.recall',
      arguments: { query: 'pagination' },
      context: ctx,
    });
    const memories = (recalled.output as { memories: { content: string; persona: string }[] }).memories;
    expect(memories).toHaveLength(1);
    expect(memories[0]).toMatchObject({ content: 'The API uses cursor pagination', persona: 'dev' });
    const sibling = await activities.executeTool({
      toolId: 'memory.recall',
      arguments: { query: 'pagination' },
      context: { ...ctx, persona: 'qa' },
    });
    expect((sibling.output as { memories: unknown[] }).memories).toHaveLength(0);
  });
});
