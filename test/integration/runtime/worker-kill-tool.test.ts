import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { idempotencyKeyHeaderValue } from '../../../activities/tools/http-request';
import type { PersonaResult } from '../../../workflows/shared/types';
import { eventTypeName, waitFor } from '../../support/devserver';
import { openAiToolCalls, type RecordedRequest } from '../../support/fake-slm';
import { startRuntimeHarness, type RuntimeHarness } from '../../fixtures/runtime/harness';
import { personaInput } from '../../fixtures/runtime/persona-input';
import { killWorkerProcess, startWorkerProcess } from '../../fixtures/runtime/worker-process';

// Two worker processes, and the tool activity's 1-minute start-to-close timeout before the
// devserver hands the killed attempt to the next worker.
jest.setTimeout(240_000);

// A worker process is SIGKILLed while a tool call with an external side effect is IN FLIGHT: an
// `http.request` POST to a local "orders" service that applies the order on receipt and never
// answers that first request. The killed attempt's execution record is never written, so the
// retry on a second worker process sends the POST again; the Idempotency-Key the tool derives
// from the workflow run and activity makes the service apply it once.

/** A service that honours Idempotency-Key: a known key gets the stored answer, nothing applied. */
interface OrdersService {
  url: string;
  /** Every POST received: its Idempotency-Key header and body. */
  received: Array<{ key: string | undefined; body: string }>;
  /** Orders applied, by idempotency key. */
  applied: Map<string, { orderId: string; body: string }>;
  close(): Promise<void>;
}

async function startOrdersService(): Promise<OrdersService> {
  const received: OrdersService['received'] = [];
  const applied: OrdersService['applied'] = new Map();
  const handle = (req: IncomingMessage, res: ServerResponse, body: string) => {
    const raw = req.headers['idempotency-key'];
    const key = Array.isArray(raw) ? raw[0] : raw;
    received.push({ key, body });
    if (req.method !== 'POST' || req.url !== '/orders' || !key) {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"POST /orders with a key"}');
      return;
    }
    const known = applied.get(key);
    if (known) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(known));
      return;
    }
    const order = { orderId: `order-${applied.size + 1}`, body };
    applied.set(key, order);
    // The first order is applied, but its answer never comes: the worker dies waiting for it.
    if (applied.size === 1) return;
    res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(order));
  };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => handle(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    applied,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

let h: RuntimeHarness;
let orders: OrdersService;
let dataDir = '';
const killQueue = `kill-tool-${process.pid}-${Date.now()}`;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  [h, orders] = await Promise.all([startRuntimeHarness('runtime_kill_tool'), startOrdersService()]);
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'somagent-kill-tool-'));
  // A POST scores 0.43 for a persona at trust 0.9 (high risk, a write): allowed under θ 0.4.
  await h.store.publish(2, { threshold: 0.4, reviewThreshold: 0.3 });
  await h.holder.refreshFromStore();
});
afterAll(async () => {
  for (const worker of workers) await killWorkerProcess(worker);
  await h?.close();
  await orders?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const startWorker = () =>
  startWorkerProcess(h, {
    taskQueue: killQueue,
    dataDir,
    track: workers,
    env: { HTTP_TOOL_ALLOWED_HOSTS: '127.0.0.1', HTTP_TOOL_ALLOWED_CIDRS: '127.0.0.1/32' },
  });

interface WireMessage {
  role: string;
  content?: string | null;
  tool_call_id?: string;
}

describe('a worker killed during a running tool call', () => {
  it('the retry on a new worker re-sends the POST with the same key; the order is applied once', async () => {
    const marker = (r: RecordedRequest) => JSON.stringify(r.body).includes('MARK-KILL-TOOL');
    h.openai.enqueueWhen(
      marker,
      openAiToolCalls([
        {
          id: 'call-order',
          name: 'http__request',
          arguments: {
            url: `${orders.url}/orders`,
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{"item":"book","quantity":1}',
          },
        },
      ]),
      openAiToolCalls([{ id: 'call-finish', name: 'finish', arguments: { result: 'order placed' } }]),
    );

    const first = await startWorker();
    const workflowId = h.devserver.workflowId('kill-tool');
    const handle = await h.client.workflow.start('personaWorkflow', {
      taskQueue: killQueue,
      workflowId,
      args: [personaInput(workflowId, { instruction: 'MARK-KILL-TOOL: order one book.' })],
    });
    await waitFor('the POST to reach the orders service', () => orders.received.length === 1, 90_000);
    // The effect is applied and the activity is still running (its answer is held back).
    expect(orders.applied.size).toBe(1);
    await killWorkerProcess(first);

    await startWorker();
    const result = (await handle.result()) as PersonaResult;
    expect(result).toMatchObject({ status: 'final', output: 'order placed' });

    // Two deliveries with one key, derived from the run and the activity; one order applied.
    const decisions = await h.gateDecisions(workflowId);
    const posts = decisions.filter((d) => d.toolId === 'http.request');
    expect(posts.map((d) => [d.attempt, d.decision])).toEqual([
      [1, 'allow'],
      [2, 'allow'],
    ]);
    expect(posts[1]!.activityId).toBe(posts[0]!.activityId);
    const key = idempotencyKeyHeaderValue(
      `${workflowId}/${handle.firstExecutionRunId}/${posts[0]!.activityId}/0`,
    );
    expect(orders.received).toEqual([
      { key, body: '{"item":"book","quantity":1}' },
      { key, body: '{"item":"book","quantity":1}' },
    ]);
    expect([...orders.applied.keys()]).toEqual([key]);

    // The retry recorded the (replayed) answer once; the model saw the order the first POST made.
    const { rows } = await h.store.pool.query<{ result: { status: number; body: string } }>(
      `SELECT result FROM tool_executions WHERE workflow_id = $1 AND tool_id = 'http.request'`,
      [workflowId],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.result.status).toBe(200);
    expect(JSON.parse(rows[0]!.result.body)).toMatchObject({ orderId: 'order-1' });
    const requests = h.openai
      .chatRequests()
      .filter((b) => JSON.stringify(b).includes('MARK-KILL-TOOL')) as Array<{
      messages: WireMessage[];
    }>;
    expect(requests).toHaveLength(2);
    const toolResult = requests[1]!.messages.find((m) => m.tool_call_id === 'call-order');
    expect(toolResult?.content).toContain('order-1');

    // Every gate decision exactly once per activity attempt, the killed attempt's included.
    const events = await h.devserver.history(handle);
    const attempts = events
      .filter((e) => eventTypeName(e.eventType) === 'ACTIVITY_TASK_STARTED')
      .reduce((sum, e) => sum + Number(e.activityTaskStartedEventAttributes?.attempt ?? 1), 0);
    expect(decisions).toHaveLength(attempts);
    expect(new Set(decisions.map((d) => `${d.activityId}/${d.attempt}`)).size).toBe(decisions.length);
    await h.replay(handle);
  });
});
