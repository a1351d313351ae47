import { buildRunResult } from '../../../workflows/run-result';
import { statusFromEvents } from '../../../workflows/status';

const at = (s: number) => new Date(Date.UTC(2026, 10, 21, 11, 0, s)).toISOString();

describe('buildRunResult', () => {
  it('assembles per-step outputs, errors, usage, decisions and artifacts', () => {
    const status = statusFromEvents([
      { type: 'run.started', at: at(0), capsule: { id: 'c', version: '1.0.0' }, tenant: 't', trigger: 'api' },
      {
        type: 'plan.loaded',
        at: at(1),
        capsule: { id: 'c', version: '1.0.0' },
        planHash: 'sha256:f00',
        steps: [
          { id: 'a', kind: 'persona', persona: 'p', dependsOn: [] },
          { id: 'b', kind: 'persona', persona: 'p', dependsOn: ['a'] },
          { id: 'c', kind: 'persona', persona: 'p', dependsOn: ['b'] },
        ],
        budget: { limitUsd: null, limitTokens: null },
      },
      { type: 'step.started', at: at(2), stepId: 'a', childWorkflowId: 'wf/a' },
      {
        type: 'usage',
        at: at(3),
        workflowId: 'wf/a',
        stepId: 'a',
        own: { inputTokens: 10, outputTokens: 5, costUsd: 0.01 },
      },
      { type: 'step.succeeded', at: at(3), stepId: 'a' },
      { type: 'step.started', at: at(4), stepId: 'b', childWorkflowId: 'wf/b' },
      { type: 'step.failed', at: at(5), stepId: 'b', reason: 'denied http.request' },
      { type: 'step.skipped', at: at(5), stepId: 'c', reason: 'dependency "b" failed: denied http.request' },
      { type: 'gate.decision', at: at(5), decision: 'deny' },
      { type: 'run.finished', at: at(6), status: 'failed' },
    ]);
    const result = buildRunResult(status, {
      status: 'failed',
      workflowId: 'wf',
      runId: 'r1',
      outputs: { a: 'report text' },
      errorTypes: { b: 'ConstitutionDenied' },
      artifacts: [{ stepId: 'a', path: 'out/report.md', bytes: 11 }],
      taint: ['pii'],
      finishedAt: at(6),
    });
    expect(result).toEqual({
      status: 'failed',
      capsule: { id: 'c', version: '1.0.0', planHash: 'sha256:f00' },
      workflowId: 'wf',
      runId: 'r1',
      steps: {
        a: {
          state: 'succeeded',
          output: 'report text',
          childWorkflowId: 'wf/a',
          usage: { inputTokens: 10, outputTokens: 5, costUsd: 0.01 },
        },
        b: {
          state: 'failed',
          error: { type: 'ConstitutionDenied', message: 'denied http.request' },
          childWorkflowId: 'wf/b',
          usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
        },
        c: {
          state: 'skipped',
          error: { type: 'StepSkipped', message: 'dependency "b" failed: denied http.request' },
          usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
        },
      },
      artifacts: [{ stepId: 'a', path: 'out/report.md', bytes: 11 }],
      usage: { inputTokens: 10, outputTokens: 5, costUsd: 0.01, totalTokens: 15 },
      decisions: { allow: 0, review: 0, deny: 1, approvalsGranted: 0, approvalsRejected: 0 },
      taint: ['pii'],
      startedAt: at(0),
      finishedAt: at(6),
    });
  });
});
