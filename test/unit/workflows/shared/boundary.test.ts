import {
  approvalRequestedSignal,
  approveSignal,
  cancelSignal,
  GATE_CONTEXT_HEADER,
  injectSignal,
  NON_RETRYABLE_WORKFLOW_ERROR_TYPES,
  planQuery,
  reviewSignal,
  SEARCH_ATTRIBUTE_DEFINITIONS,
  SEARCH_ATTRIBUTES,
  statusQuery,
  TASK_QUEUE,
  transcriptQuery,
  WORKFLOW_ERROR_TYPES,
  WORKFLOW_TYPES,
} from '../../../../workflows/shared';

describe('shared workflow boundary', () => {
  it('uses the cross-team names', () => {
    expect(TASK_QUEUE).toBe('somagent');
    expect(WORKFLOW_TYPES).toEqual({
      capsule: 'capsuleWorkflow',
      persona: 'personaWorkflow',
      training: 'trainingWorkflow',
    });
    expect(GATE_CONTEXT_HEADER).toBe('somagent-gate-context');
  });

  it('defines the signals and queries under their public names', () => {
    expect([approveSignal, reviewSignal, cancelSignal, injectSignal].map((d) => [d.type, d.name])).toEqual([
      ['signal', 'approve'],
      ['signal', 'review'],
      ['signal', 'cancel'],
      ['signal', 'inject'],
    ]);
    expect([statusQuery, planQuery, transcriptQuery].map((d) => [d.type, d.name])).toEqual([
      ['query', 'status'],
      ['query', 'plan'],
      ['query', 'transcript'],
    ]);
    expect(approvalRequestedSignal.name).toMatch(/^somagent\./);
  });

  it('spells error types as their keys and marks the unfixable ones non-retryable', () => {
    for (const [key, value] of Object.entries(WORKFLOW_ERROR_TYPES)) expect(value).toBe(key);
    expect(NON_RETRYABLE_WORKFLOW_ERROR_TYPES).toEqual(
      expect.arrayContaining(['ConstitutionDenied', 'BudgetExceeded', 'InvalidWorkflowInput', 'SpawnDenied']),
    );
    // ApprovalRequired and StepFailed are expected to be retried or handled by the workflow
    expect(NON_RETRYABLE_WORKFLOW_ERROR_TYPES).not.toContain('ApprovalRequired');
  });

  it('declares Keyword search attributes for capsule, version, tenant, trigger, persona, status and step', () => {
    expect(SEARCH_ATTRIBUTES.capsuleId).toEqual({ name: 'SomagentCapsuleId', type: 'KEYWORD' });
    expect(SEARCH_ATTRIBUTE_DEFINITIONS.map((d) => d.name)).toEqual([
      'SomagentCapsuleId',
      'SomagentCapsuleVersion',
      'SomagentTenant',
      'SomagentTrigger',
      'SomagentPersona',
      'SomagentStatus',
      'SomagentStep',
    ]);
    expect(new Set(SEARCH_ATTRIBUTE_DEFINITIONS.map((d) => d.type))).toEqual(new Set(['KEYWORD']));
  });
});
