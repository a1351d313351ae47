import { runDetails, statusAttribute } from '../../../workflows/run-details';
import { initialStatus, reduceStatus, type RunEvent } from '../../../workflows/status';
import { runSummary } from '../../../workflows/shared/run-summary';

const at = '2026-12-07T10:00:00.000Z';

function statusAfter(events: RunEvent[]) {
  return events.reduce(reduceStatus, initialStatus());
}

describe('what the Web UI shows of a capsule run', () => {
  it('spells the phase as the SomagentStatus filter value', () => {
    expect(statusAttribute('awaiting_approval')).toBe('awaiting-approval');
    expect(statusAttribute('completed')).toBe('completed');
  });

  it('summarises the run in one line', () => {
    expect(runSummary({ id: 'meetings.summary', version: '1.2.0' }, 'acme')).toBe(
      'capsule meetings.summary v1.2.0 for tenant acme',
    );
  });

  it('details the phase, the approval a human owes (with the signal to send) and every step', () => {
    const status = statusAfter([
      { type: 'run.started', at, capsule: { id: 'demo', version: '1.0.0' }, tenant: 'acme', trigger: 'api' },
      {
        type: 'plan.loaded',
        at,
        capsule: { id: 'demo', version: '1.0.0' },
        planHash: 'h',
        steps: [
          { id: 'draft', kind: 'persona', persona: 'scribe', dependsOn: [] },
          { id: 'publish', kind: 'persona', persona: 'scribe', dependsOn: ['draft'] },
        ],
        budget: { limitUsd: 1, limitTokens: 1000 },
      },
      { type: 'run.phase', at, phase: 'running' },
      { type: 'step.started', at, stepId: 'draft', childWorkflowId: 'wf.draft' },
      {
        type: 'approval.requested',
        at,
        approval: {
          approvalId: 'wf:tool:1',
          workflowId: 'wf.draft',
          stepId: 'draft',
          activityType: 'executeTool',
          toolId: 'workspace.write',
          reason: 'writes need a human',
          requestedAt: at,
        },
      },
    ] as RunEvent[]);
    const details = runDetails(status);
    expect(details.split('\n')[0]).toBe('**demo v1.0.0** for tenant `acme`: running');
    expect(details).toContain(
      '- waiting for approval `wf:tool:1` (step draft, tool `workspace.write`): writes need a human. ' +
        'Send the `approve` signal with `{"approvalId": "wf:tool:1", "approved": true}`.',
    );
    expect(details).toContain('- ▶ **draft** (scribe): running');
    expect(details).toContain('- ○ **publish** (scribe): pending');
  });
});
