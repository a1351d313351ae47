import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import type { Capsule } from '../../../capsules/capsule-schema';
import { BUILTIN_LIBRARY_DIR, loadLibrary } from '../../../capsules/library-loader';
import { createCapsuleRegistry } from '../../../capsules/registry/registry-store';
import type { CapsuleRunResult } from '../../../workflows/shared/types';
import {
  approveSignal,
  cancelSignal,
  reviewSignal,
  statusQuery,
} from '../../../workflows/shared/definitions';
import { eventTypes, rejectionOf, waitFor } from '../../support/devserver';
import { openAiToolCalls } from '../../support/fake-slm';
import {
  DELEGATION_LIMITS,
  delegationCapsule,
  fanInCapsule,
  finish,
  mentions,
  scriptDelegationReplies,
  scriptStepApprovalReplies,
  stepApprovalCapsule,
} from '../../fixtures/runtime/graph-capsules';
import { startRuntimeHarness, type RuntimeHarness } from '../../fixtures/runtime/harness';
import { failedRun } from '../../fixtures/runtime/run-outcome';

// Bundling the workflows and migrating a private database take a while on a shared machine.
jest.setTimeout(120_000);

// The capsule run's task graph with real child workflows: every step is a `personaWorkflow`
// child on the devserver, scripted through the fake OpenAI server by the step's instruction
// (parallel steps make the order of model calls nondeterministic).

let h: RuntimeHarness;
let base: Capsule;

beforeAll(async () => {
  h = await startRuntimeHarness('runtime_graph');
  const library = await loadLibrary([BUILTIN_LIBRARY_DIR]);
  const registry = createCapsuleRegistry({ pool: h.store.pool });
  for (const id of ['scribe', 'architect']) {
    await registry.publishPersona(library.personas.find((p) => p.value.id === id)!.value);
  }
  base = library.capsules.find((c) => c.value.id === 'meetings.transcript-summary')!.value;
});
afterAll(async () => {
  await h?.close();
});

function start(label: string, capsule: unknown, params: Record<string, unknown> = {}) {
  return h.client.workflow.start('capsuleWorkflow', {
    taskQueue: h.taskQueue,
    workflowId: h.devserver.workflowId(label),
    args: [{ capsule, params, tenant: 'acme' }],
  });
}

/** The run's history and every child's (persona steps), replayed through the worker's bundle. */
async function replayTree(handle: WorkflowHandle): Promise<string[]> {
  const events = await h.devserver.history(handle);
  const childIds = events
    .filter((e) => e.childWorkflowExecutionStartedEventAttributes)
    .map((e) => e.childWorkflowExecutionStartedEventAttributes!.workflowExecution!.workflowId!);
  await h.replay(handle);
  for (const id of childIds) await h.replay(h.client.workflow.getHandle(id));
  return childIds;
}

describe('capsuleWorkflow task graph with child workflows', () => {
  it('runs two parallel steps and a step that sees both outputs; per-step usage; replays', async () => {
    const capsule = fanInCapsule(base);
    h.openai.enqueueWhen(mentions('MARK-LEFT'), finish('risk: churn'));
    h.openai.enqueueWhen(mentions('MARK-RIGHT'), finish('win: growth'));
    // The merge step's answer is slow, so the run can be observed mid-flight.
    h.openai.enqueueWhen(mentions('MARK-MERGE'), { ...finish('merged report'), delayMs: 1500 });
    const from = h.openai.chatRequests().length;

    const handle = await start('fan-in', capsule);
    await waitFor(
      'both parallel steps to succeed while the merge step runs',
      async () => {
        const { phase, steps } = await handle.query(statusQuery);
        return (
          phase === 'running' &&
          steps.map((s) => `${s.id}:${s.state}`).join() === 'left:succeeded,right:succeeded,merge:running'
        );
      },
      60_000,
    );
    const result = (await handle.result()) as CapsuleRunResult;
    expect(result.status).toBe('completed');
    expect(Object.keys(result.steps).sort()).toEqual(['left', 'merge', 'right']);
    expect(result.steps.left).toMatchObject({ state: 'succeeded', output: 'risk: churn' });
    expect(result.steps.right).toMatchObject({ state: 'succeeded', output: 'win: growth' });
    expect(result.steps.merge).toMatchObject({ state: 'succeeded', output: 'merged report' });
    for (const step of Object.values(result.steps)) {
      expect(step.childWorkflowId).toMatch(new RegExp(`^${handle.workflowId}\\.`));
      expect(step.usage.inputTokens).toBeGreaterThan(0);
      expect(step.usage.costUsd).toBeGreaterThan(0);
    }
    expect(result.usage.inputTokens).toBe(
      Object.values(result.steps).reduce((sum, s) => sum + s.usage.inputTokens, 0),
    );
    expect(result.usage.totalTokens).toBeGreaterThan(result.usage.inputTokens);

    // The merge step's model call carried the rendered outputs of both predecessors.
    const merge = h.openai
      .chatRequests()
      .slice(from)
      .find((b) => JSON.stringify(b).includes('MARK-MERGE'));
    expect(JSON.stringify(merge)).toContain('combine <risk: churn> and <win: growth>');

    const status = await handle.query(statusQuery);
    expect(status.phase).toBe('completed');
    expect(status.steps.map((s) => s.state)).toEqual(['succeeded', 'succeeded', 'succeeded']);

    const events = eventTypes(await h.devserver.history(handle));
    expect(events.filter((e) => e === 'START_CHILD_WORKFLOW_EXECUTION_INITIATED')).toHaveLength(3);
    const children = await replayTree(handle);
    expect(children).toHaveLength(3);
  });
});

describe('approvals and delegation at depth', () => {
  beforeAll(async () => {
    // Capsule steps play personas at trust 0.5: workspace.write scores 0.55. A review band from
    // 0.5 puts it there (reads stay allowed at 0.9).
    await h.store.publish(2, { reviewThreshold: 0.5 });
    await h.holder.refreshFromStore();
  });

  it('lists a persona step’s pending approval on the capsule run; approve sent to the capsule reaches it', async () => {
    const capsule = stepApprovalCapsule(base);
    scriptStepApprovalReplies(h.openai);
    const handle = await start('approval', capsule);
    let status = await handle.query(statusQuery);
    await waitFor(
      'the capsule run to list the step’s pending approval',
      async () => {
        status = await handle.query(statusQuery);
        return status.pendingApprovals.length === 1;
      },
      60_000,
    );
    const [pending] = status.pendingApprovals;
    const childId = `${handle.workflowId}.note`;
    expect(pending).toMatchObject({
      workflowId: childId,
      activityType: 'executeTool',
      toolId: 'workspace.write',
    });
    expect(status.steps[0]).toMatchObject({ id: 'note', state: 'running' });

    await handle.signal(approveSignal, { approvalId: pending!.approvalId, approved: true, by: 'alice' });
    const result = (await handle.result()) as CapsuleRunResult;
    expect(result.status).toBe('completed');
    expect(result.steps.note).toMatchObject({ state: 'succeeded', output: 'note written' });
    expect(result.decisions).toMatchObject({ review: 1, approvalsGranted: 1 });
    expect((await handle.query(statusQuery)).pendingApprovals).toEqual([]);

    const writes = (await h.gateDecisions(childId)).filter((d) => d.toolId === 'workspace.write');
    expect(writes.map((d) => [d.decision, d.outcome])).toEqual([
      ['review', 'review'],
      ['review', 'approved'],
    ]);
    expect(writes[1]).toMatchObject({ approvalId: pending!.approvalId, approvedBy: 'alice' });
    const childEvents = await h.devserver.history(h.client.workflow.getHandle(childId));
    const completedTools = childEvents.filter((e) => e.activityTaskCompletedEventAttributes).length;
    // slmComplete ×2, the approved write once (plus tool listing / memory reads, never a second write).
    expect(completedTools).toBeGreaterThanOrEqual(3);
    await replayTree(handle);
  });

  it('delegates to a sub-persona whose answer comes back as the tool result; depth narrows', async () => {
    const capsule = delegationCapsule(base);
    const limits = DELEGATION_LIMITS;
    scriptDelegationReplies(h.openai);
    const from = h.openai.chatRequests().length;
    const handle = await h.client.workflow.start('capsuleWorkflow', {
      taskQueue: h.taskQueue,
      workflowId: h.devserver.workflowId('delegate'),
      args: [{ capsule, tenant: 'acme', limits }],
    });
    const result = (await handle.result()) as CapsuleRunResult;
    expect(result.status).toBe('completed');
    expect(result.steps.boss).toMatchObject({ state: 'succeeded', output: 'boss got 42' });

    const bodies = h.openai
      .chatRequests()
      .slice(from)
      .map((b) => JSON.stringify(b));
    const bossSecond = bodies.filter((b) => b.includes('MARK-BOSS'))[1]!;
    expect(bossSecond).toContain('sub answer: 42');
    const subSecond = bodies.filter((b) => b.includes('MARK-SUB') && !b.includes('MARK-BOSS'))[1]!;
    expect(subSecond).toContain('maximum delegation depth reached');
    expect(bodies.some((b) => b.includes('(acting as helper) MARK-SUB: count'))).toBe(true);
    // The sub-persona's model calls roll up into the step's (and the run's) usage.
    expect(result.usage.inputTokens).toBe(4 * 11);
    expect(result.steps.boss!.usage.inputTokens).toBe(4 * 11);

    const childId = `${handle.workflowId}.boss`;
    const childEvents = eventTypes(await h.devserver.history(h.client.workflow.getHandle(childId)));
    expect(childEvents).toContain('CHILD_WORKFLOW_EXECUTION_COMPLETED');
    const children = await replayTree(handle);
    expect(children).toEqual([childId]);
    await h.replay(h.client.workflow.getHandle(`${childId}.d1`));
  });
});

describe('review checkpoints', () => {
  /** A draft step behind a review checkpoint and a publish step that depends on it. */
  function reviewed(marker: string, review: Record<string, unknown>) {
    return {
      ...base,
      id: `graph.review-${marker.toLowerCase()}`,
      tools: ['finish'],
      guardrails: {},
      steps: [
        {
          id: 'draft',
          persona: 'scribe',
          instruction: `MARK-${marker}-DRAFT: draft it.`,
          tools: [],
          review,
        },
        {
          id: 'publish',
          persona: 'scribe',
          instruction: `MARK-${marker}-PUBLISH: publish <{{ steps.draft.output }}>.`,
          tools: [],
          dependsOn: ['draft'],
        },
      ],
    };
  }

  async function awaitingReview(handle: WorkflowHandle) {
    await waitFor(
      'the draft step to wait for review',
      async () => (await handle.query(statusQuery)).steps[0]?.state === 'awaiting_review',
      60_000,
    );
  }

  it('waits for a review from an allowed reviewer, then the dependent step runs', async () => {
    h.openai.enqueueWhen(mentions('MARK-OK-DRAFT'), finish('the draft'));
    h.openai.enqueueWhen(mentions('MARK-OK-PUBLISH'), finish('published'));
    const handle = await start(
      'review-ok',
      reviewed('OK', { prompt: 'Is the draft right?', timeout: '10m', reviewers: ['editor'] }),
    );
    await awaitingReview(handle);
    // Not a reviewer: ignored, the step keeps waiting.
    await handle.signal(reviewSignal, { stepId: 'draft', verdict: 'reject', by: 'mallory' });
    await handle.signal(reviewSignal, { stepId: 'draft', verdict: 'approve', by: 'editor' });
    const result = (await handle.result()) as CapsuleRunResult;
    expect(result.status).toBe('completed');
    expect(result.steps.draft).toMatchObject({ state: 'succeeded', output: 'the draft' });
    expect(result.steps.publish).toMatchObject({ state: 'succeeded', output: 'published' });
    const bodies = h.openai.chatRequests().map((b) => JSON.stringify(b));
    expect(bodies.some((b) => b.includes('MARK-OK-PUBLISH: publish <the draft>'))).toBe(true);
    await replayTree(handle);
  });

  it('a rejected review fails the step and skips its dependents', async () => {
    h.openai.enqueueWhen(mentions('MARK-NO-DRAFT'), finish('a bad draft'));
    const handle = await start(
      'review-reject',
      reviewed('NO', { prompt: 'Is the draft right?', timeout: '10m' }),
    );
    await awaitingReview(handle);
    await handle.signal(reviewSignal, {
      stepId: 'draft',
      verdict: 'reject',
      by: 'bob',
      comment: 'off topic',
    });
    const { failure, result } = await failedRun(handle);
    expect(failure.type).toBe('ReviewRejected');
    expect(failure.message).toMatch(/^step "draft" failed: ReviewRejected: .*off topic.*\(1 step skipped\)$/);
    expect(result.status).toBe('failed');
    expect(result.steps.draft).toMatchObject({ state: 'failed', error: { type: 'ReviewRejected' } });
    expect(result.steps.draft!.error!.message).toContain('off topic');
    expect(result.steps.publish).toMatchObject({ state: 'skipped' });
    expect(h.openai.chatRequests().some((b) => JSON.stringify(b).includes('MARK-NO-PUBLISH'))).toBe(false);
    await replayTree(handle);
  });

  it('a Temporal cancel request ends the run Cancelled, as the Web UI shows it', async () => {
    h.openai.enqueueWhen(mentions('MARK-CANCEL-DRAFT'), finish('a draft nobody reviews'));
    const handle = await start('cancel-request', reviewed('CANCEL', { prompt: 'Check it', timeout: '10m' }));
    await awaitingReview(handle);
    await handle.cancel();
    const err = await rejectionOf(handle.result());
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    expect(h.openai.chatRequests().some((b) => JSON.stringify(b).includes('MARK-CANCEL-PUBLISH'))).toBe(
      false,
    );
    await replayTree(handle);
  });

  it('the cancel signal stops the run: it fails with RunCancelled, naming who and why', async () => {
    h.openai.enqueueWhen(mentions('MARK-SIGCANCEL-DRAFT'), finish('a draft'));
    const handle = await start(
      'cancel-signal',
      reviewed('SIGCANCEL', { prompt: 'Check it', timeout: '10m' }),
    );
    await awaitingReview(handle);
    await handle.signal(cancelSignal, { by: 'carol', reason: 'wrong meeting' });
    const { failure, result } = await failedRun(handle);
    expect(failure.type).toBe('RunCancelled');
    expect(failure.message).toBe('run cancelled by carol: wrong meeting');
    expect(result.status).toBe('cancelled');
    await replayTree(handle);
  });

  it('no review before the timeout fails the step with ReviewTimedOut', async () => {
    h.openai.enqueueWhen(mentions('MARK-LATE-DRAFT'), finish('an unreviewed draft'));
    const handle = await start('review-timeout', reviewed('LATE', { prompt: 'Check it', timeout: '2s' }));
    const { failure, result } = await failedRun(handle);
    expect(failure.type).toBe('ReviewTimedOut');
    expect(result.status).toBe('failed');
    expect(result.steps.draft).toMatchObject({ state: 'failed', error: { type: 'ReviewTimedOut' } });
    expect(result.steps.publish).toMatchObject({ state: 'skipped' });
    await replayTree(handle);
  });
});

describe('composite steps', () => {
  it('runs a nested capsule as a child capsuleWorkflow; its step outputs feed the parent', async () => {
    const registry = createCapsuleRegistry({ pool: h.store.pool });
    const nested = {
      ...base,
      id: 'graph.echo',
      version: '1.0.0',
      type: 'utility' as const,
      params: { topic: { type: 'string' as const, default: 'nothing' } },
      tools: ['finish'],
      guardrails: {},
      steps: [
        { id: 'echo', persona: 'scribe', instruction: 'MARK-NESTED: echo {{ params.topic }}.', tools: [] },
      ],
    };
    await registry.publishCapsule(nested);
    const composite = {
      ...base,
      id: 'graph.composite',
      type: 'composite',
      params: { subject: { type: 'string', default: 'tides' } },
      tools: ['finish'],
      guardrails: {},
      steps: [
        { id: 'inner', capsule: 'graph.echo@^1', params: { topic: '{{ params.subject }}' } },
        {
          id: 'outer',
          persona: 'scribe',
          instruction: 'MARK-OUTER: wrap <{{ steps.inner.output.echo.output }}>.',
          tools: [],
          dependsOn: ['inner'],
        },
      ],
    };
    h.openai.enqueueWhen(mentions('MARK-NESTED'), finish('echoed'));
    h.openai.enqueueWhen(mentions('MARK-OUTER'), finish('wrapped'));
    const from = h.openai.chatRequests().length;
    const handle = await start('composite', composite, { subject: 'moons' });
    const result = (await handle.result()) as CapsuleRunResult;
    expect(result.status).toBe('completed');
    expect(result.steps.inner).toMatchObject({ state: 'succeeded' });
    expect(result.steps.outer).toMatchObject({ state: 'succeeded', output: 'wrapped' });
    const bodies = h.openai
      .chatRequests()
      .slice(from)
      .map((b) => JSON.stringify(b));
    // The nested capsule got the parent's rendered parameter.
    expect(
      bodies.filter((b) => b.includes('MARK-NESTED')).map((b) => /MARK-NESTED[^"]*/.exec(b)![0]),
    ).toEqual(['MARK-NESTED: echo moons.']);
    expect(bodies.some((b) => b.includes('MARK-OUTER: wrap <echoed>.'))).toBe(true);
    // Usage of the nested run's persona is in the run's total once.
    expect(result.usage.inputTokens).toBe(2 * 11);

    const innerId = `${handle.workflowId}.inner`;
    const children = await replayTree(handle);
    expect(children).toEqual(expect.arrayContaining([innerId, `${handle.workflowId}.outer`]));
    await replayTree(h.client.workflow.getHandle(innerId));
  });
});

describe('approvals two capsule levels down', () => {
  it('a persona in a doubly nested capsule reports its approval to the root run, which routes approve', async () => {
    // Runs after the constitution with the 0.5 review band was published above.
    const registry = createCapsuleRegistry({ pool: h.store.pool });
    await registry.publishCapsule({
      ...base,
      id: 'graph.leaf',
      version: '1.0.0',
      type: 'utility',
      params: {},
      tools: ['workspace.write', 'finish'],
      guardrails: {},
      steps: [
        {
          id: 'w',
          persona: 'scribe',
          instruction: 'MARK-LEAF: write it.',
          tools: ['workspace.write'],
        },
      ],
    });
    await registry.publishCapsule({
      ...base,
      id: 'graph.middle',
      version: '1.0.0',
      type: 'composite',
      params: {},
      tools: ['workspace.write', 'finish'],
      guardrails: {},
      steps: [{ id: 'leaf', capsule: 'graph.leaf@^1' }],
    });
    h.openai.enqueueWhen(
      mentions('MARK-LEAF'),
      openAiToolCalls([
        { id: 'call-write', name: 'workspace__write', arguments: { path: 'deep.md', content: 'deep' } },
      ]),
      finish('deep write done'),
    );
    const handle = await start('deep-approval', {
      ...base,
      id: 'graph.top',
      type: 'composite',
      params: {},
      tools: ['workspace.write', 'finish'],
      guardrails: {},
      steps: [{ id: 'mid', capsule: 'graph.middle@^1' }],
    });
    let status = await handle.query(statusQuery);
    await waitFor(
      'the root run to list the deep approval',
      async () => {
        status = await handle.query(statusQuery);
        return status.pendingApprovals.length === 1;
      },
      60_000,
    );
    const leafPersona = `${handle.workflowId}.mid.leaf.w`;
    expect(status.pendingApprovals[0]).toMatchObject({ workflowId: leafPersona, toolId: 'workspace.write' });
    await handle.signal(approveSignal, {
      approvalId: status.pendingApprovals[0]!.approvalId,
      approved: true,
      by: 'alice',
    });
    const result = (await handle.result()) as CapsuleRunResult;
    expect(result.status).toBe('completed');
    expect(result.decisions).toMatchObject({ approvalsGranted: 1 });
    const writes = (await h.gateDecisions(leafPersona)).filter((d) => d.toolId === 'workspace.write');
    expect(writes.map((d) => d.outcome)).toEqual(['review', 'approved']);
    await replayTree(handle);
  });
});
