import type { PendingApproval } from '../../../workflows/approvals';
import { initialStatus, reduceStatus, statusFromEvents, type RunEvent } from '../../../workflows/status';

const at = (s: number) => new Date(Date.UTC(2026, 10, 21, 10, 0, s)).toISOString();

const approval: PendingApproval = {
  approvalId: 'ap-1',
  workflowId: 'run/research',
  stepId: 'research',
  activityType: 'executeTool',
  toolId: 'http.request',
  reason: 'review band',
  requestedAt: at(5),
};

const started: RunEvent[] = [
  {
    type: 'run.started',
    at: at(0),
    capsule: { id: 'product.launch', version: '1.0.0' },
    tenant: 'acme',
    trigger: 'manual',
  },
  {
    type: 'plan.loaded',
    at: at(1),
    capsule: { id: 'product.launch', version: '1.0.3' },
    planHash: 'sha256:abc',
    steps: [
      { id: 'research', kind: 'persona', persona: 'analyst', dependsOn: [] },
      { id: 'qa', kind: 'capsule', title: 'QA suite', dependsOn: ['research'] },
      { id: 'publish', kind: 'persona', persona: 'writer', dependsOn: ['qa'] },
    ],
    budget: { limitUsd: 5, limitTokens: 100_000 },
  },
  { type: 'run.phase', at: at(2), phase: 'running' },
  { type: 'step.started', at: at(3), stepId: 'research', childWorkflowId: 'run/research' },
  {
    type: 'persona.started',
    at: at(3),
    workflowId: 'run/research',
    stepId: 'research',
    personaId: 'analyst',
    parentWorkflowId: 'run',
    depth: 1,
  },
];

describe('status reducer', () => {
  it('starts empty', () => {
    expect(initialStatus()).toMatchObject({
      phase: 'starting',
      steps: [],
      personas: [],
      pendingApprovals: [],
    });
  });

  it('tracks phase, plan, steps and personas', () => {
    const status = statusFromEvents(started);
    expect(status).toMatchObject({
      phase: 'running',
      capsule: { id: 'product.launch', version: '1.0.3' },
      tenant: 'acme',
      trigger: 'manual',
      planHash: 'sha256:abc',
      startedAt: at(0),
      updatedAt: at(3),
      budget: { limitUsd: 5, limitTokens: 100_000 },
    });
    expect(status.steps.map((s) => [s.id, s.state])).toEqual([
      ['research', 'running'],
      ['qa', 'pending'],
      ['publish', 'pending'],
    ]);
    expect(status.steps[0]).toMatchObject({
      childWorkflowId: 'run/research',
      startedAt: at(3),
      persona: 'analyst',
    });
    expect(status.steps[1]).toMatchObject({ kind: 'capsule', title: 'QA suite' });
    expect(status.personas).toEqual([
      {
        workflowId: 'run/research',
        stepId: 'research',
        personaId: 'analyst',
        parentWorkflowId: 'run',
        depth: 1,
        state: 'running',
        usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
      },
    ]);
  });

  it('adds cumulative usage reports as deltas per workflow, step and run', () => {
    const status = statusFromEvents([
      ...started,
      {
        type: 'usage',
        at: at(4),
        workflowId: 'run/research',
        own: { inputTokens: 100, outputTokens: 50, costUsd: 0.1 },
      },
      {
        type: 'usage',
        at: at(5),
        workflowId: 'run/research',
        own: { inputTokens: 300, outputTokens: 80, costUsd: 0.2 },
      },
      {
        type: 'persona.started',
        at: at(5),
        workflowId: 'run/research/d1',
        stepId: 'research',
        personaId: 'scout',
        parentWorkflowId: 'run/research',
        depth: 2,
      },
      {
        type: 'usage',
        at: at(6),
        workflowId: 'run/research/d1',
        own: { inputTokens: 10, outputTokens: 5, costUsd: 0.05 },
      },
      {
        type: 'usage',
        at: at(6),
        workflowId: 'run',
        own: { inputTokens: 1, outputTokens: 1, costUsd: 0.01 },
      },
    ]);
    expect(status.usage).toEqual({ inputTokens: 311, outputTokens: 86, costUsd: 0.26, totalTokens: 397 });
    expect(status.steps[0]!.usage).toEqual({ inputTokens: 310, outputTokens: 85, costUsd: 0.25 });
    expect(status.personas.map((p) => p.usage.inputTokens)).toEqual([300, 10]);
    expect(status.usageByWorkflow.run).toEqual({ inputTokens: 1, outputTokens: 1, costUsd: 0.01 });
  });

  it('lists pending approvals and counts decisions', () => {
    let status = statusFromEvents([
      ...started,
      { type: 'approval.requested', at: at(5), approval },
      { type: 'approval.requested', at: at(6), approval: { ...approval, approvalId: 'ap-2' } },
      { type: 'gate.decision', at: at(6), decision: 'review' },
      { type: 'gate.decision', at: at(6), decision: 'allow' },
      { type: 'gate.decision', at: at(6), decision: 'allow' },
    ]);
    expect(status.pendingApprovals.map((a) => a.approvalId)).toEqual(['ap-1', 'ap-2']);
    status = reduceStatus(status, {
      type: 'approval.resolved',
      at: at(7),
      approvalId: 'ap-1',
      approved: true,
    });
    status = reduceStatus(status, {
      type: 'approval.resolved',
      at: at(7),
      approvalId: 'ap-1',
      approved: true,
    });
    status = reduceStatus(status, { type: 'approval.withdrawn', at: at(8), approvalId: 'ap-2' });
    expect(status.pendingApprovals).toEqual([]);
    expect(status.decisions).toEqual({
      allow: 2,
      review: 1,
      deny: 0,
      approvalsGranted: 1,
      approvalsRejected: 0,
    });
  });

  it('records step outcomes with reasons and the final phase', () => {
    const status = statusFromEvents([
      ...started,
      { type: 'step.awaiting_review', at: at(4), stepId: 'research' },
      { type: 'step.failed', at: at(5), stepId: 'research', reason: 'ReviewRejected: too vague' },
      { type: 'step.skipped', at: at(5), stepId: 'qa', reason: 'dependency "research" failed' },
      { type: 'persona.finished', at: at(5), workflowId: 'run/research', state: 'final' },
      { type: 'approval.requested', at: at(5), approval },
      { type: 'run.finished', at: at(6), status: 'failed' },
    ]);
    expect(status.steps.map((s) => [s.id, s.state, s.reason])).toEqual([
      ['research', 'failed', 'ReviewRejected: too vague'],
      ['qa', 'skipped', 'dependency "research" failed'],
      ['publish', 'pending', undefined],
    ]);
    expect(status.personas[0]!.state).toBe('final');
    expect(status).toMatchObject({ phase: 'failed', finishedAt: at(6), pendingApprovals: [] });
  });

  it('never mutates the previous state and ignores events about unknown steps', () => {
    const before = statusFromEvents(started);
    const frozen = JSON.stringify(before);
    const after = reduceStatus(before, { type: 'step.succeeded', at: at(9), stepId: 'nope' });
    reduceStatus(before, { type: 'step.succeeded', at: at(9), stepId: 'research' });
    expect(JSON.stringify(before)).toBe(frozen);
    expect(after.steps).toEqual(before.steps);
  });
});
