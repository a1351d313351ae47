import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { startDevServer, type DevServer } from '../../../services/devserver';
import { createLogger } from '../../../services/logger';
import { waitFor } from '../../support/devserver';
import { useFixtureHarness } from '../../support/devserver-fixtures';
import { collectWorkflow, greetWorkflow } from '../../fixtures/devserver/workflows';

// The Web UI (@temporalio/ui 2.38.0) talks to /api/v1/... with `pathForApi` paths (parameters
// single-encoded) and reads proto3 JSON the way ui-server's gateway writes it. These tests call
// exactly those routes with fetch and assert the real frontend's JSON shapes.

const uiDir = mkdtempSync(path.join(tmpdir(), 'devserver-ui-'));
mkdirSync(path.join(uiDir, '_app/immutable'), { recursive: true });
writeFileSync(path.join(uiDir, 'index.html'), '<!doctype html><title>ui</title>');
writeFileSync(path.join(uiDir, '_app/immutable/start.abc.js'), 'export {};');
writeFileSync(path.join(tmpdir(), 'devserver-ui-secret.txt'), 'secret');

const suite = useFixtureHarness({ http: { port: 0, uiDir } });

const JSON_PLAIN = Buffer.from('json/plain').toString('base64');
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');
const fromB64 = (data: string): unknown => JSON.parse(Buffer.from(data, 'base64').toString('utf8'));
const enc = encodeURIComponent;

type JsonAny = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function base(): string {
  return `http://${suite.h.server.httpAddress!}/api/v1`;
}

async function api(
  pathAndQuery: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: JsonAny; headers: Headers }> {
  const res = await fetch(`${base()}${pathAndQuery}`, {
    method: init.method ?? 'GET',
    headers: { 'Caller-Type': 'operator', ...init.headers },
    ...(init.body !== undefined
      ? { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }
      : {}),
  });
  return { status: res.status, body: (await res.json()) as JsonAny, headers: res.headers };
}

/** A raw GET with the path exactly as given (fetch would normalise dot segments). */
function rawGet(
  address: string,
  rawPath: string,
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const [host, port] = [
    address.slice(0, address.lastIndexOf(':')),
    Number(address.slice(address.lastIndexOf(':') + 1)),
  ];
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host, port, path: rawPath, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('HTTP API: workflows as the Web UI reads them', () => {
  it('lists, counts, describes (by id and run id) and pages the history of a completed run', async () => {
    const { h, worker } = suite;
    const workflowId = `a/b c-${h.workflowId('http')}`;
    const handle = await h.client.workflow.start(greetWorkflow, {
      taskQueue: worker.taskQueue,
      workflowId,
      args: [{ name: 'http' }],
    });
    await handle.result();
    const ns = enc(h.namespace);

    const query = `WorkflowId="${workflowId}"`;
    const list = await api(`/namespaces/${ns}/workflows?${new URLSearchParams({ query }).toString()}`);
    expect(list.status).toBe(200);
    expect(list.body.executions).toHaveLength(1);
    const [info] = list.body.executions;
    expect(info).toMatchObject({
      execution: { workflowId, runId: handle.firstExecutionRunId },
      type: { name: 'greetWorkflow' },
      status: 'WORKFLOW_EXECUTION_STATUS_COMPLETED',
      taskQueue: worker.taskQueue,
    });
    expect(info.startTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
    expect(info.closeTime).toMatch(/Z$/);
    expect(info.historyLength).toMatch(/^\d+$/);

    const count = await api(`/namespaces/${ns}/workflow-count?${new URLSearchParams({ query }).toString()}`);
    expect(count.body).toMatchObject({ count: '1' });

    const describe = await api(`/namespaces/${ns}/workflows/${enc(workflowId)}`);
    expect(describe.status).toBe(200);
    expect(describe.body.workflowExecutionInfo).toMatchObject({
      execution: { workflowId, runId: handle.firstExecutionRunId },
      status: 'WORKFLOW_EXECUTION_STATUS_COMPLETED',
    });
    const byRun = await api(
      `/namespaces/${ns}/workflows/${enc(workflowId)}?${new URLSearchParams({ 'execution.runId': handle.firstExecutionRunId }).toString()}`,
    );
    expect(byRun.body.workflowExecutionInfo.execution.runId).toBe(handle.firstExecutionRunId);

    // Ascending history in pages of 2, following nextPageToken the way the UI passes it back.
    const events: JsonAny[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const params = new URLSearchParams({
        'execution.runId': handle.firstExecutionRunId,
        maximumPageSize: '2',
      });
      if (token) params.set('next_page_token', token);
      const page = await api(`/namespaces/${ns}/workflows/${enc(workflowId)}/history?${params.toString()}`);
      expect(page.status).toBe(200);
      events.push(...page.body.history.events);
      token = page.body.nextPageToken as string | undefined;
      pages++;
    } while (token);
    expect(pages).toBeGreaterThan(2);
    expect(events.map((e) => e.eventId)).toEqual(events.map((_e, i) => String(i + 1)));
    expect(String(events.length)).toBe(info.historyLength);
    const started = events[0]!;
    expect(started.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_STARTED');
    expect(started.eventTime).toMatch(/Z$/);
    const input = started.workflowExecutionStartedEventAttributes.input.payloads[0];
    expect(input.metadata).toEqual({ encoding: JSON_PLAIN });
    expect(fromB64(input.data)).toEqual({ name: 'http' });
    expect(started.workflowExecutionStartedEventAttributes.workflowTaskTimeout).toMatch(/^\d+(\.\d+)?s$/);
    const completed = events[events.length - 1]!;
    expect(completed.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
    expect(fromB64(completed.workflowExecutionCompletedEventAttributes.result.payloads[0].data)).toBe(
      'hi http',
    );

    // Descending (the UI's default order) and the raw download agree with it.
    const reverse = await api(`/namespaces/${ns}/workflows/${enc(workflowId)}/history-reverse`);
    expect(reverse.body.history.events.map((e: JsonAny) => e.eventId)).toEqual(
      events.map((e) => e.eventId).reverse(),
    );
    const raw = await fetch(
      `${base()}/namespaces/${ns}/workflows/${enc(workflowId)}/run/${handle.firstExecutionRunId}/history.json`,
    );
    expect(raw.headers.get('content-type')).toMatch(/application\/json/);
    expect(((await raw.json()) as JsonAny[]).map((e) => e.eventId)).toEqual(events.map((e) => e.eventId));
  });

  it('starts a workflow with the UI start form body, signals it, queries it and sees it complete', async () => {
    const { h, worker } = suite;
    const workflowId = `start/${h.workflowId('http-start')} x`;
    const ns = enc(h.namespace);
    // services/workflow-service.js startWorkflow: no requestId, nulls for absent parts.
    const start = await api(`/namespaces/${ns}/workflows/${enc(workflowId)}`, {
      method: 'POST',
      body: {
        workflowId,
        taskQueue: { name: worker.taskQueue },
        workflowType: { name: collectWorkflow.name },
        input: { payloads: [{ metadata: { encoding: JSON_PLAIN }, data: b64({ expected: 2 }) }] },
        userMetadata: {
          summary: { metadata: { encoding: JSON_PLAIN }, data: b64('from the UI') },
          details: undefined,
        },
        searchAttributes: null,
      },
    });
    expect(start.status).toBe(200);
    expect(start.body.runId).toMatch(/[0-9a-f-]{36}/);
    const runId = start.body.runId as string;

    // signalWorkflow (UI ≥ 2.22): signalName, workflowExecution and input in the body.
    for (const item of ['one', 'two']) {
      const signal = await api(`/namespaces/${ns}/workflows/${enc(workflowId)}/signal/add`, {
        method: 'POST',
        body: {
          signalName: 'add',
          workflowExecution: { workflowId, runId },
          input: { payloads: [{ metadata: { encoding: JSON_PLAIN }, data: b64(item) }] },
        },
      });
      expect(signal).toMatchObject({ status: 200, body: {} });
    }
    const handle = h.client.workflow.getHandle(workflowId, runId);
    expect(await handle.result()).toEqual(['one', 'two']);

    const query = await api(`/namespaces/${ns}/workflows/${enc(workflowId)}/query/items`, {
      method: 'POST',
      body: { execution: { runId }, query: { queryType: 'items' } },
    });
    expect(query.status).toBe(200);
    expect(fromB64(query.body.queryResult.payloads[0].data)).toEqual(['one', 'two']);

    const describe = await api(`/namespaces/${ns}/workflows/${enc(workflowId)}`);
    expect(fromB64(describe.body.executionConfig.userMetadata.summary.data)).toBe('from the UI');
  });

  it('long-polls the history (waitNewEvent) until a new event arrives; a dropped poll ends cleanly', async () => {
    const { h, worker } = suite;
    const handle = await h.client.workflow.start(collectWorkflow, {
      taskQueue: worker.taskQueue,
      workflowId: h.workflowId('http-poll'),
      args: [{ expected: 1 }],
    });
    const history = `/namespaces/${enc(h.namespace)}/workflows/${enc(handle.workflowId)}/history`;
    await waitFor('the first workflow task to complete', async () => {
      const page = await api(history);
      return page.body.history.events.some(
        (e: JsonAny) => e.eventType === 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED',
      );
    });
    const first = await api(`${history}?waitNewEvent=true`);
    const seen = first.body.history.events.length as number;
    expect(first.body.nextPageToken).toEqual(expect.any(String));

    // A poll the client drops: the server must not answer into a closed socket or hang stop().
    const dropped = new AbortController();
    const droppedPoll = fetch(
      `${base()}${history}?${new URLSearchParams({ waitNewEvent: 'true', nextPageToken: first.body.nextPageToken }).toString()}`,
      { signal: dropped.signal },
    ).catch((err: unknown) => err);
    setTimeout(() => dropped.abort(), 100);
    expect(await droppedPoll).toMatchObject({ name: 'AbortError' });

    const poll = api(
      `${history}?${new URLSearchParams({ waitNewEvent: 'true', nextPageToken: first.body.nextPageToken }).toString()}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    await handle.signal('add', 'late');
    const next = await poll;
    expect(next.status).toBe(200);
    expect(next.body.history.events[0].eventId).toBe(String(seen + 1));
    expect(next.body.history.events[0].eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED');
    expect(await handle.result()).toEqual(['late']);
  });

  it('terminates a running workflow', async () => {
    const { h, worker } = suite;
    const handle = await h.client.workflow.start(collectWorkflow, {
      taskQueue: worker.taskQueue,
      workflowId: h.workflowId('http-term'),
      args: [{ expected: 5 }],
    });
    const terminate = await api(
      `/namespaces/${enc(h.namespace)}/workflows/${enc(handle.workflowId)}/terminate`,
      {
        method: 'POST',
        body: { reason: 'from the UI', identity: 'ui@example.com' },
      },
    );
    expect(terminate).toMatchObject({ status: 200, body: {} });
    const describe = await api(`/namespaces/${enc(h.namespace)}/workflows/${enc(handle.workflowId)}`);
    expect(describe.body.workflowExecutionInfo.status).toBe('WORKFLOW_EXECUTION_STATUS_TERMINATED');
  });

  it('answers the cluster, namespace, search-attribute, schedule and settings calls', async () => {
    const { h, worker } = suite;
    const ns = enc(h.namespace);
    const system = await api('/system-info');
    expect(system.body.capabilities).toMatchObject({ countGroupByExecutionStatus: true });
    expect((await api('/cluster-info')).body.serverVersion).toMatch(/somagent-devserver/);
    const namespaces = await api('/namespaces');
    expect(namespaces.body.namespaces.map((n: JsonAny) => n.namespaceInfo.name)).toContain('default');
    const namespace = await api(`/namespaces/${ns}`);
    expect(namespace.body.namespaceInfo).toMatchObject({
      name: h.namespace,
      state: 'NAMESPACE_STATE_REGISTERED',
    });
    expect(namespace.body.config.workflowExecutionRetentionTtl).toMatch(/^\d+s$/);

    const attrs = await api(`/namespaces/${ns}/search-attributes`);
    expect(attrs.body.systemAttributes).toMatchObject({
      WorkflowId: 'INDEXED_VALUE_TYPE_KEYWORD',
      StartTime: 'INDEXED_VALUE_TYPE_DATETIME',
    });

    const scheduleId = h.workflowId('http-schedule');
    await h.client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '1h' }] },
      action: {
        type: 'startWorkflow',
        workflowType: greetWorkflow,
        taskQueue: worker.taskQueue,
        args: [{ name: 's' }],
      },
    });
    await waitFor('the schedule in the list', async () => {
      const schedules = await api(`/namespaces/${ns}/schedules`);
      return (schedules.body.schedules ?? []).some((s: JsonAny) => s.scheduleId === scheduleId);
    });
    const schedule = await api(`/namespaces/${ns}/schedules/${enc(scheduleId)}`);
    expect(schedule.body.schedule.spec.interval[0].interval).toBe('3600s');
    const pause = await api(`/namespaces/${ns}/schedules/${enc(scheduleId)}/patch`, {
      method: 'POST',
      body: { patch: { pause: 'paused from the UI' }, identity: 'ui', requestId: 'r1' },
    });
    expect(pause.status).toBe(200);
    expect((await api(`/namespaces/${ns}/schedules/${enc(scheduleId)}`)).body.schedule.state.paused).toBe(
      true,
    );
    const deleted = await api(`/namespaces/${ns}/schedules/${enc(scheduleId)}`, { method: 'DELETE' });
    expect(deleted.status).toBe(200);

    const settings = await api('/settings');
    expect(settings.body).toMatchObject({
      Auth: { Enabled: false },
      DefaultNamespace: 'default',
      Version: '2.38.0',
      DisableWriteActions: false,
      StartWorkflowDisabled: false,
      Codec: { Endpoint: '', PassAccessToken: false, IncludeCredentials: false },
    });
    expect((await api('/me')).body).toEqual({});
  });
});

describe('HTTP API: errors', () => {
  it('answers google.rpc.Status JSON with the HTTP status of the gRPC code', async () => {
    const { h } = suite;
    const missing = await api(`/namespaces/${enc(h.namespace)}/workflows/no-such-workflow`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ code: 5, message: expect.any(String), details: expect.any(Array) });

    const unknownNs = await api('/namespaces/no-such-namespace');
    expect(unknownNs.status).toBe(404);
    expect(unknownNs.body.details[0]['@type']).toMatch(/NamespaceNotFoundFailure$/);

    const route = await api('/namespaces/default/nothing-here');
    expect(route).toMatchObject({ status: 404, body: { code: 5, message: 'Not Found', details: [] } });

    const verb = await api('/namespaces/default/workflows', { method: 'PUT', body: {} });
    expect(verb.status).toBe(405);

    const badJson = await api(`/namespaces/default/workflows/x/signal/s`, {
      method: 'POST',
      body: '{"input":',
    });
    expect(badJson.status).toBe(400);
    expect(badJson.body).toMatchObject({ code: 3, message: expect.stringMatching(/not valid JSON/) });

    const badField = await api(`/namespaces/default/workflows/x/signal/s`, {
      method: 'POST',
      body: { inptu: {} },
    });
    expect(badField.status).toBe(400);
    expect(badField.body.message).toMatch(/unknown field "inptu"/);

    const big = await api(`/namespaces/default/workflows/x/signal/s`, {
      method: 'POST',
      body: { identity: 'x'.repeat(9 * 1024 * 1024) },
    });
    expect(big.status).toBe(413);
  });
});

describe('HTTP API: the Web UI files', () => {
  it('serves assets, falls back to index.html and never leaves the directory', async () => {
    const address = suite.h.server.httpAddress!;
    const asset = await rawGet(address, '/_app/immutable/start.abc.js');
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect(asset.headers['cache-control']).toMatch(/immutable/);

    const page = await rawGet(address, '/namespaces/default/workflows');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('<title>ui</title>');

    for (const escape of [
      '/../devserver-ui-secret.txt',
      '/%2e%2e/devserver-ui-secret.txt',
      '/_app/%2E%2E/%2e%2e/devserver-ui-secret.txt',
      '/..%2fdevserver-ui-secret.txt',
      `/${encodeURIComponent(path.join(tmpdir(), 'devserver-ui-secret.txt'))}`,
      '//etc/passwd',
      '/..\\devserver-ui-secret.txt',
    ]) {
      const res = await rawGet(address, escape);
      expect({ escape, refused: [400, 404].includes(res.status) }).toEqual({ escape, refused: true });
      expect(res.body).not.toContain('secret');
    }
  });

  it('renders run markdown for the UI iframe: formatting kept, HTML and scripts neither run nor pass', async () => {
    const address = suite.h.server.httpAddress!;
    const content =
      '**ui.demo v1** waits: `approve`\n\n- [docs](https://docs.temporal.io) <script>alert(1)</script> [x](javascript:alert(2))';
    const res = await rawGet(address, `/render?content=${encodeURIComponent(content)}&theme=dark`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'none'");
    expect(csp).toMatch(/style-src 'nonce-[0-9a-f]{32}'/);
    expect(res.body).toContain('<strong>ui.demo v1</strong>');
    expect(res.body).toContain('<code>approve</code>');
    expect(res.body).toContain(
      'href="https://docs.temporal.io" target="_blank" rel="noopener noreferrer nofollow"',
    );
    expect(res.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(res.body).not.toContain('<script');
    expect(res.body).not.toContain('href="javascript:');
    expect(res.body).toContain('data-theme="dark"');
  });
});

describe('HTTP API in auth mode', () => {
  let server: DevServer;
  let keys: Awaited<ReturnType<typeof generateKeyPair>>;

  beforeAll(async () => {
    keys = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'k', alg: 'EdDSA' };
    server = await startDevServer({
      port: 0,
      http: { port: 0 },
      auth: { keys: { keys: [jwk] } },
      logger: createLogger({
        level: process.env.DEVSERVER_TEST_LOG ?? 'warn',
        name: 'devserver-http-auth-test',
      }),
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('refuses a call without a token (401) and lets a token with the role through', async () => {
    const url = `http://${server.httpAddress!}/api/v1/namespaces/default/workflows`;
    const anonymous = await fetch(url);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({
      code: 16,
      message: expect.stringMatching(/requires a token/),
    });

    const token = await new SignJWT({ sub: 'ui', permissions: ['default:read'] })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'k' })
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(keys.privateKey);
    const allowed = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
    expect(allowed.status).toBe(200);
    const forbidden = await fetch(
      `http://${server.httpAddress!}/api/v1/namespaces/default/workflows/x/terminate`,
      {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}` },
        body: '{}',
      },
    );
    expect(forbidden.status).toBe(403);
    // settings is the ui-server's own endpoint: the UI reads it before it has a token.
    expect((await fetch(`http://${server.httpAddress!}/api/v1/settings`)).status).toBe(200);
  });
});
