import { ApprovalRegistry, type PendingApproval } from '../../../workflows/approvals';

const approval = (approvalId: string, workflowId: string, requestedAt: string): PendingApproval => ({
  approvalId,
  workflowId,
  stepId: 'research',
  personaId: 'analyst',
  activityType: 'executeTool',
  toolId: 'http.request',
  reason: 'gate review band',
  explanation: { score: 0.55, threshold: 0.6, rulesFired: [] },
  requestedAt,
});

describe('ApprovalRegistry', () => {
  it('lists pending approvals oldest first and routes decisions to the waiting workflow', () => {
    const registry = new ApprovalRegistry('run-1');
    registry.add(approval('ap-2', 'run-1/persona/research', '2026-11-21T10:00:02.000Z'));
    registry.add(approval('ap-1', 'run-1', '2026-11-21T10:00:01.000Z'));
    registry.add(approval('ap-0', 'run-1/persona/draft', '2026-11-21T10:00:02.000Z'));
    expect(registry.list().map((a) => a.approvalId)).toEqual(['ap-1', 'ap-0', 'ap-2']);

    expect(registry.resolve({ approvalId: 'ap-2', approved: true, by: 'alice' })).toEqual({
      kind: 'forward',
      approval: expect.objectContaining({ approvalId: 'ap-2' }),
      targetWorkflowId: 'run-1/persona/research',
    });
    expect(registry.resolve({ approvalId: 'ap-1', approved: false })).toMatchObject({ kind: 'local' });
    expect(registry.counts()).toEqual({ pending: 1, granted: 1, rejected: 1 });
  });

  it('treats unknown and already decided ids as harmless no-ops', () => {
    const registry = new ApprovalRegistry('run-1');
    registry.add(approval('ap-1', 'child', '2026-11-21T10:00:00.000Z'));
    registry.resolve({ approvalId: 'ap-1', approved: true });
    expect(registry.resolve({ approvalId: 'ap-1', approved: true })).toEqual({
      kind: 'unknown',
      reason: 'no pending approval "ap-1" (unknown or already decided)',
    });
    expect(registry.counts().granted).toBe(1);
  });

  it('withdraws approvals of a workflow that ended, and survives a snapshot round trip', () => {
    const registry = new ApprovalRegistry('run-1');
    registry.add(approval('a', 'child-1', '2026-11-21T10:00:00.000Z'));
    registry.add(approval('b', 'child-2', '2026-11-21T10:00:01.000Z'));
    registry.add(approval('c', 'child-1', '2026-11-21T10:00:02.000Z'));
    expect(registry.withdrawWorkflow('child-1').map((a) => a.approvalId)).toEqual(['a', 'c']);
    registry.resolve({ approvalId: 'b', approved: false });
    registry.add(approval('d', 'run-1', '2026-11-21T10:00:03.000Z'));

    const restored = ApprovalRegistry.restore('run-1', JSON.parse(JSON.stringify(registry.snapshot())));
    expect(restored.list()).toEqual(registry.list());
    expect(restored.counts()).toEqual({ pending: 1, granted: 0, rejected: 1 });
    expect(restored.resolve({ approvalId: 'd', approved: true }).kind).toBe('local');
    expect(restored.withdraw('zzz')).toBe(false);
  });

  it('copies approvals so callers cannot change the registry from outside', () => {
    const registry = new ApprovalRegistry('run-1');
    const a = approval('a', 'child', '2026-11-21T10:00:00.000Z');
    registry.add(a);
    a.reason = 'changed';
    registry.list()[0]!.reason = 'changed too';
    expect(registry.list()[0]!.reason).toBe('gate review band');
    expect(() => registry.add({ ...a, approvalId: '' })).toThrow('approvalId must not be empty');
  });
});
