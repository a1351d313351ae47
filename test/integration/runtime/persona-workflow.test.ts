import { WorkflowFailedError } from '@temporalio/client';
import type { PendingApproval } from '../../../workflows/approvals';
import {
  approveSignal,
  cancelSignal,
  injectSignal,
  transcriptQuery,
} from '../../../workflows/shared/definitions';
import type { PersonaResult } from '../../../workflows/shared/types';
import { eventTypeName, eventTypes, rejectionOf, waitFor } from '../../support/devserver';
import { openAiError, openAiText, openAiToolCalls } from '../../support/fake-slm';
import { startRuntimeHarness, type RuntimeHarness } from '../../fixtures/runtime/harness';
import { personaInput } from '../../fixtures/runtime/persona-input';

// Bundling the workflows and migrating a private database take a while on a shared machine.
jest.setTimeout(120_000);

// Constitution (test/fixtures/constitution/descriptors.ts) with persona trust 0.9:
// workspace.list/read 0.98 (allow), workspace.write 0.63 (review), http.request GET 0.58 (deny);
// model calls, tool listing and memory recall are low-risk reads (allow).

let h: RuntimeHarness;

beforeAll(async () => {
  h = await startRuntimeHarness('runtime_persona');
});
afterAll(async () => {
  await h?.close();
});

interface WireMessage {
  role: string;
  content?: string | null;
  tool_call_id?: string;
  tool_calls?: Array<{ id: string; function: { name: string } }>;
}

/** Chat requests the fake received from `from` on. */
function requestsSince(from: number): Array<{ messages: WireMessage[] }> {
  return h.openai.chatRequests().slice(from) as Array<{ messages: WireMessage[] }>;
}

async function start(label: string, overrides: Parameters<typeof personaInput>[1] = {}) {
  const workflowId = h.devserver.workflowId(label);
  return h.client.workflow.start('personaWorkflow', {
    taskQueue: h.taskQueue,
    workflowId,
    args: [personaInput(workflowId, overrides)],
  });
}

/** Activity attempts in a history: one gate decision must exist for each. */
async function activityAttempts(handle: Awaited<ReturnType<typeof start>>): Promise<number> {
  const events = await h.devserver.history(handle);
  return events
    .filter((e) => eventTypeName(e.eventType) === 'ACTIVITY_TASK_STARTED')
    .reduce((sum, e) => sum + Number(e.activityTaskStartedEventAttributes?.attempt ?? 1), 0);
}

/** Trips the fixture constitution's `model-sees-ssn-review` rule on the model call. */
const SSN_INSTRUCTION = 'Check the record of the applicant with SSN 123-45-6789 and report.';

async function pendingApprovals(handle: Awaited<ReturnType<typeof start>>): Promise<PendingApproval[]> {
  let pending: PendingApproval[] = [];
  await waitFor(
    'a pending approval in the transcript',
    async () => {
      pending = (await handle.query(transcriptQuery)).pendingApprovals;
      return pending.length === 1;
    },
    60_000,
  );
  return pending;
}

const LONG = 'The workspace review continues with more detail. '.repeat(12);

describe('personaWorkflow end to end (devserver, real worker, gate, fake OpenAI)', () => {
  it('calls a tool, feeds the result back and finishes; one gate decision per activity attempt', async () => {
    const from = h.openai.chatRequests().length;
    h.openai.enqueue(
      openAiToolCalls([{ id: 'call-list', name: 'workspace__list', arguments: {} }]),
      openAiToolCalls([
        { id: 'call-finish', name: 'finish', arguments: { result: 'The workspace is empty.' } },
      ]),
    );
    const handle = await start('tool');
    const result = (await handle.result()) as PersonaResult;
    expect(result).toMatchObject({ status: 'final', output: 'The workspace is empty.', turns: 2 });
    expect(result.usage.inputTokens).toBe(22); // two calls of 11 prompt tokens (fake default)
    expect(result.decisions.deny).toBe(0);

    const [first, second] = requestsSince(from);
    expect(first!.messages.map((m) => m.role)).toEqual(['system', 'user']);
    const toolMessage = second!.messages.find((m) => m.role === 'tool');
    expect(toolMessage).toMatchObject({ tool_call_id: 'call-list' });

    const decisions = await h.gateDecisions(handle.workflowId);
    expect(decisions).toHaveLength(await activityAttempts(handle));
    expect(decisions.every((d) => d.decision === 'allow')).toBe(true);
    expect(new Set(decisions.map((d) => `${d.activityId}/${d.attempt}`)).size).toBe(decisions.length);
    expect(decisions.filter((d) => d.activityType === 'slmComplete')).toHaveLength(2);
    expect(decisions.find((d) => d.activityType === 'executeTool')).toMatchObject({
      toolId: 'workspace.list',
    });
    await h.replay(handle);
  });

  it('sends a constitution denial back to the model as a tool error; the run still finishes', async () => {
    const from = h.openai.chatRequests().length;
    h.openai.enqueue(
      openAiToolCalls([
        {
          id: 'call-http',
          name: 'http__request',
          arguments: { url: 'https://example.com/data', method: 'GET' },
        },
      ]),
      openAiText('I was not allowed to fetch the page.'),
    );
    const handle = await start('deny');
    const result = (await handle.result()) as PersonaResult;
    expect(result).toMatchObject({ status: 'final', output: 'I was not allowed to fetch the page.' });
    expect(result.decisions.deny).toBe(1);

    const [, second] = requestsSince(from);
    const toolMessage = second!.messages.find((m) => m.role === 'tool');
    expect(toolMessage?.tool_call_id).toBe('call-http');
    expect(toolMessage?.content).toContain('denied by the constitution');

    const decisions = await h.gateDecisions(handle.workflowId);
    expect(decisions).toHaveLength(await activityAttempts(handle));
    expect(decisions.find((d) => d.activityType === 'executeTool')).toMatchObject({
      decision: 'deny',
      toolId: 'http.request',
    });
    await h.replay(handle);
  });

  it('waits for approval of a review-band tool call, then runs it once with the approval', async () => {
    const from = h.openai.chatRequests().length;
    h.openai.enqueue(
      openAiToolCalls([
        {
          id: 'call-write',
          name: 'workspace__write',
          arguments: { path: 'notes.md', content: 'approved text' },
        },
      ]),
      openAiToolCalls([{ id: 'call-read', name: 'workspace__read', arguments: { path: 'notes.md' } }]),
      openAiToolCalls([{ id: 'call-finish', name: 'finish', arguments: { result: 'notes.md written' } }]),
    );
    const handle = await start('approval');

    const pending = await pendingApprovals(handle);
    expect(pending[0]).toMatchObject({ activityType: 'executeTool', toolId: 'workspace.write' });
    // Nothing ran yet: the write waits for the human.
    expect(requestsSince(from)).toHaveLength(1);

    await handle.signal(approveSignal, { approvalId: pending[0]!.approvalId, approved: true, by: 'alice' });
    const result = (await handle.result()) as PersonaResult;
    expect(result).toMatchObject({ status: 'final', output: 'notes.md written' });
    expect(result.decisions).toMatchObject({ review: 1, approvalsGranted: 1 });

    // The read sees what the approved write wrote.
    const third = requestsSince(from)[2]!;
    const readResult = third.messages.find((m) => m.tool_call_id === 'call-read');
    expect(readResult?.content).toContain('approved text');

    const writes = (await h.gateDecisions(handle.workflowId)).filter((d) => d.toolId === 'workspace.write');
    expect(writes.map((d) => [d.decision, d.outcome])).toEqual([
      ['review', 'review'],
      ['review', 'approved'],
    ]);
    expect(writes[1]).toMatchObject({ approvalId: pending[0]!.approvalId, approvedBy: 'alice' });
    await h.replay(handle);
  });

  it('stops cleanly with budget_exhausted when the next call no longer fits the token budget', async () => {
    const from = h.openai.chatRequests().length;
    h.openai.enqueue(
      openAiToolCalls([{ id: 'call-list', name: 'workspace__list', arguments: {} }], {
        promptTokens: 2000,
        completionTokens: 50,
      }),
    );
    const handle = await start('budget', {
      limits: { ...personaInput('x').limits, tokens: 3000 },
    });
    const result = (await handle.result()) as PersonaResult;
    expect(result.status).toBe('budget_exhausted');
    expect(result.reason).toMatch(/tokens/);
    expect(result).toMatchObject({ turns: 1, usage: { inputTokens: 2000, outputTokens: 50 } });
    expect(requestsSince(from)).toHaveLength(1);
    await h.replay(handle);
  });

  it('compacts a long conversation into a summary from the model and keeps going', async () => {
    const from = h.openai.chatRequests().length;
    const withText = (reply: { body: unknown }, text: string) => {
      const body = reply.body as { choices: Array<{ message: { content: string | null } }> };
      body.choices[0]!.message.content = text;
      return reply;
    };
    h.openai.enqueue(
      withText(openAiToolCalls([{ id: 'l1', name: 'workspace__list', arguments: {} }]), `One. ${LONG}`),
      withText(openAiToolCalls([{ id: 'l2', name: 'workspace__list', arguments: {} }]), `Two. ${LONG}`),
      withText(openAiToolCalls([{ id: 'l3', name: 'workspace__list', arguments: {} }]), `Three. ${LONG}`),
      openAiText('SUMMARY-OF-EARLY-TURNS'),
      openAiToolCalls([{ id: 'f', name: 'finish', arguments: { result: 'reviewed' } }]),
    );
    const handle = await start('compaction', { contextTokens: 400 });
    const result = (await handle.result()) as PersonaResult;
    expect(result).toMatchObject({ status: 'final', output: 'reviewed', turns: 4 });

    const requests = requestsSince(from);
    expect(requests).toHaveLength(5);
    expect(requests[3]!.messages[0]!.content).toMatch(/^Summarize the conversation/);
    expect(requests[3]!.messages[1]!.content).toContain('Look at the workspace');
    const last = requests[4]!.messages;
    expect(
      last.some((m) => m.role === 'system' && String(m.content).includes('SUMMARY-OF-EARLY-TURNS')),
    ).toBe(true);
    // The folded instruction is gone from the context; the summary stands in for it.
    expect(last.some((m) => m.role === 'user' && String(m.content).includes('Look at the workspace'))).toBe(
      false,
    );
    await h.replay(handle);
  });

  /** Starts a run whose first call (a workspace write) waits for approval; resolves with its id. */
  async function startWaitingOnApproval(label: string) {
    const handle = await start(label);
    const pending = await pendingApprovals(handle);
    return { handle, approvalId: pending[0]!.approvalId };
  }

  it('adds injected guidance to the context before the next model call', async () => {
    const from = h.openai.chatRequests().length;
    h.openai.enqueue(
      openAiToolCalls([
        { id: 'w', name: 'workspace__write', arguments: { path: 'g.md', content: 'colour' } },
      ]),
      openAiToolCalls([{ id: 'f', name: 'finish', arguments: { result: 'done' } }]),
    );
    const { handle, approvalId } = await startWaitingOnApproval('inject');
    await handle.signal(injectSignal, { text: 'Use British spelling.', by: 'bob' });
    await handle.signal(approveSignal, { approvalId, approved: true, by: 'alice' });
    await expect(handle.result()).resolves.toMatchObject({ status: 'final', output: 'done' });
    const second = requestsSince(from)[1]!;
    const last = second.messages.at(-1)!;
    expect(last).toMatchObject({ role: 'user', content: 'Guidance from bob: Use British spelling.' });
    await h.replay(handle);
  });

  it('a cancel while waiting for approval stops the loop without running the call', async () => {
    const from = h.openai.chatRequests().length;
    h.openai.enqueue(
      openAiToolCalls([{ id: 'w', name: 'workspace__write', arguments: { path: 'c.md', content: 'never' } }]),
    );
    const { handle } = await startWaitingOnApproval('cancel');
    await handle.signal(cancelSignal, { reason: 'changed my mind', by: 'carol' });
    const result = (await handle.result()) as PersonaResult;
    expect(result).toMatchObject({ status: 'cancelled', turns: 1 });
    expect(requestsSince(from)).toHaveLength(1);
    const writes = (await h.gateDecisions(handle.workflowId)).filter((d) => d.toolId === 'workspace.write');
    expect(writes.map((d) => d.outcome)).toEqual(['review']);
    await h.replay(handle);
  });

  it('asks a human before a review-band model call, then sends it once with the approval', async () => {
    const from = h.openai.chatRequests().length;
    h.openai.enqueue(openAiToolCalls([{ id: 'f', name: 'finish', arguments: { result: 'checked' } }]));
    const handle = await start('model-approval', { instruction: SSN_INSTRUCTION });
    const pending = await pendingApprovals(handle);
    expect(pending[0]).toMatchObject({ activityType: 'slmComplete', stepId: 'write' });
    expect(pending[0]!.reason).toContain('model-sees-ssn-review');
    expect(pending[0]).not.toHaveProperty('toolId');
    // The prompt has not gone to the model yet.
    expect(requestsSince(from)).toHaveLength(0);

    await handle.signal(approveSignal, { approvalId: pending[0]!.approvalId, approved: true, by: 'dana' });
    await expect(handle.result()).resolves.toMatchObject({
      status: 'final',
      output: 'checked',
      decisions: { review: 1, approvalsGranted: 1 },
    });
    expect(requestsSince(from)).toHaveLength(1);
    const model = (await h.gateDecisions(handle.workflowId)).filter((d) => d.activityType === 'slmComplete');
    expect(model.map((d) => d.outcome)).toEqual(['review', 'approved']);
    expect(model[1]).toMatchObject({ approvalId: pending[0]!.approvalId, approvedBy: 'dana' });
    await h.replay(handle);
  });

  it('fails the persona with ApprovalRejected when a human rejects its model call', async () => {
    const from = h.openai.chatRequests().length;
    const handle = await start('model-rejected', { instruction: SSN_INSTRUCTION });
    const pending = await pendingApprovals(handle);
    await handle.signal(approveSignal, {
      approvalId: pending[0]!.approvalId,
      approved: false,
      by: 'erin',
      comment: 'no SSNs to the model',
    });
    const failure = await rejectionOf(handle.result());
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = (failure as WorkflowFailedError).cause as { type?: string; message: string };
    expect(cause.type).toBe('ApprovalRejected');
    expect(cause.message).toContain('erin');
    expect(cause.message).toContain('no SSNs to the model');
    expect(requestsSince(from)).toHaveLength(0);
    await h.replay(handle);
  });

  it('records a gate decision for every attempt of a retried model call', async () => {
    h.openai.enqueue(
      openAiError(503, 'overloaded', { type: 'server_error' }),
      openAiToolCalls([{ id: 'f', name: 'finish', arguments: { result: 'after a retry' } }]),
    );
    const handle = await start('retry');
    await expect(handle.result()).resolves.toMatchObject({ status: 'final', output: 'after a retry' });
    const decisions = await h.gateDecisions(handle.workflowId);
    expect(decisions).toHaveLength(await activityAttempts(handle));
    const model = decisions.filter((d) => d.activityType === 'slmComplete');
    expect(model.map((d) => d.attempt)).toEqual([1, 2]);
    expect(model[0]!.activityId).toBe(model[1]!.activityId);
    await h.replay(handle);
  });

  it('fails fast on an invalid input, naming the field, before any activity', async () => {
    const workflowId = h.devserver.workflowId('invalid');
    const base = personaInput(workflowId);
    const handle = await h.client.workflow.start('personaWorkflow', {
      taskQueue: h.taskQueue,
      workflowId,
      args: [{ ...base, persona: { ...base.persona, maxTurns: 0 } }],
    });
    const err = await rejectionOf(handle.result());
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toMatchObject({
      type: 'InvalidWorkflowInput',
      message: expect.stringContaining('persona.maxTurns') as unknown,
    });
    expect(eventTypes(await h.devserver.history(handle))).not.toContain('ACTIVITY_TASK_SCHEDULED');
    await h.replay(handle);
  });
  it('continues as new after 25 turns, carrying the conversation, ledger and turn count', async () => {
    const from = h.openai.chatRequests().length;
    const turns = 26;
    h.openai.enqueue(
      ...Array.from({ length: turns }, (_, i) =>
        openAiToolCalls([{ id: `call-list-${i}`, name: 'workspace__list', arguments: {} }]),
      ),
      openAiToolCalls([{ id: 'call-finish', name: 'finish', arguments: { result: 'listed enough' } }]),
    );
    const handle = await start('continue-as-new', {
      persona: { ...personaInput('x').persona, maxTurns: 40 },
    });
    const result = (await handle.result()) as PersonaResult;
    expect(result).toMatchObject({ status: 'final', output: 'listed enough', turns: turns + 1 });
    // The ledger survived the new run: every model call is counted once.
    expect(result.usage.inputTokens).toBe((turns + 1) * 11);

    const firstRun = h.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId);
    const firstEvents = eventTypes(await h.devserver.history(firstRun));
    expect(firstEvents.at(-1)).toBe('WORKFLOW_EXECUTION_CONTINUED_AS_NEW');
    const latest = h.client.workflow.getHandle(handle.workflowId);
    expect((await latest.describe()).runId).not.toBe(handle.firstExecutionRunId);
    // The new run's first model call still sees the conversation of the first run.
    const requests = requestsSince(from);
    expect(requests).toHaveLength(turns + 1);
    const afterContinue = requests[25]!;
    expect(afterContinue.messages.some((m) => m.tool_call_id === 'call-list-0')).toBe(true);
    await h.replay(firstRun);
    await h.replay(latest);
  });
});
