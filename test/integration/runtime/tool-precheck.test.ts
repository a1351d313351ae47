import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { transcriptQuery } from '../../../workflows/shared/definitions';
import type { PersonaResult } from '../../../workflows/shared/types';
import { openAiText, openAiToolCalls } from '../../support/fake-slm';
import { startRuntimeHarness, type RuntimeHarness } from '../../fixtures/runtime/harness';
import { personaInput } from '../../fixtures/runtime/persona-input';

// Bundling the workflows and migrating a private database take a while on a shared machine.
jest.setTimeout(120_000);

// The real worker (createSomagentWorker) with `localhost` on the http tool's allowlist and no
// allowed address ranges. Under v2 (θ 0.7, θ_review 0.5) an http.request GET by a persona at
// trust 0.9 scores 0.58: the review band, where the gate would ask a human to approve it.

let h: RuntimeHarness;
let service: Server;
let port: number;
let hits = 0;

beforeAll(async () => {
  // A loopback-only service that an allow-listed name reaches: what the address policy protects.
  service = createServer((_req, res) => {
    hits += 1;
    res.end('loopback-only admin page');
  });
  await new Promise<void>((r) => service.listen(0, '127.0.0.1', r));
  port = (service.address() as AddressInfo).port;
  h = await startRuntimeHarness('runtime_tool_precheck', { env: { HTTP_TOOL_ALLOWED_HOSTS: 'localhost' } });
  await h.store.publish(2, { threshold: 0.7, reviewThreshold: 0.5 });
  expect(await h.holder.refreshFromStore()).toMatchObject({ status: 'applied', version: 2 });
});
afterAll(async () => {
  await h?.close();
  service?.closeAllConnections();
  await new Promise((r) => service?.close(r));
});

interface WireMessage {
  role: string;
  content?: string | null;
  tool_call_id?: string;
}

describe('a review-band tool call the tool refuses anyway (worker end to end)', () => {
  it('comes back to the model as the tool’s refusal without asking a human; nothing is sent', async () => {
    const marker = 'MARK-PRECHECK-LOOPBACK';
    const from = h.openai.chatRequests().length;
    h.openai.enqueue(
      openAiToolCalls([
        {
          id: 'call-admin',
          name: 'http__request',
          arguments: { url: `http://localhost:${port}/admin`, method: 'GET' },
        },
      ]),
      openAiText('The admin page is not reachable from here.'),
    );
    const workflowId = h.devserver.workflowId('precheck');
    const handle = await h.client.workflow.start('personaWorkflow', {
      taskQueue: h.taskQueue,
      workflowId,
      args: [personaInput(workflowId, { instruction: `${marker}: read the admin page.` })],
    });
    const result = (await handle.result()) as PersonaResult;
    expect(result).toMatchObject({ status: 'final', output: 'The admin page is not reachable from here.' });
    expect(result.decisions).toMatchObject({ review: 0, deny: 0 });
    expect((await handle.query(transcriptQuery)).pendingApprovals).toEqual([]);
    expect(hits).toBe(0);

    const second = h.openai.chatRequests()[from + 1] as { messages: WireMessage[] };
    const toolMessage = second.messages.find((m) => m.tool_call_id === 'call-admin');
    expect(toolMessage?.content).toMatch(
      /^ERROR: HostNotAllowed: http\.request: host localhost resolves to 127\.0\.0\.1, a loopback address: refused; .*HTTP_TOOL_ALLOWED_CIDRS/,
    );

    const call = (await h.gateDecisions(workflowId)).filter((d) => d.activityType === 'executeTool');
    expect(call).toEqual([
      expect.objectContaining({
        decision: 'review',
        outcome: 'refused',
        refusal: { type: 'HostNotAllowed' },
        toolId: 'http.request',
      }),
    ]);
    await h.replay(handle);
  });
});
