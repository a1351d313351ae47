/**
 * Failure types of the constitution gate and budgets, raised by activities and the gate and
 * branched on by workflows: defined once here, spread into both catalogues below and in
 * `activities/shared/error-types.ts`, so the spelling can never drift apart.
 */
export const GATE_ERROR_TYPES = {
  /** The constitution gate denied the action (hard rule or score below θ). Never retried. */
  ConstitutionDenied: 'ConstitutionDenied',
  /** The action is in the review band. Non-retryable for Temporal: the workflow waits for an
   * `approve` signal, then schedules the activity again with the approval header. */
  ApprovalRequired: 'ApprovalRequired',
  /** A budget reservation does not fit in what the run or tenant has left. Never retried. */
  BudgetExceeded: 'BudgetExceeded',
} as const;

/**
 * `ApplicationFailure.type` strings that workflows raise or branch on: the gate types plus those
 * the workflows raise themselves. Pure constants: safe in the sandbox.
 */
export const WORKFLOW_ERROR_TYPES = {
  ...GATE_ERROR_TYPES,
  /** The workflow input failed validation; the message names the field path and the fix. */
  InvalidWorkflowInput: 'InvalidWorkflowInput',
  /** An instruction template refers to a value the run does not have. */
  TemplateError: 'TemplateError',
  /** A plan is not executable (unknown dependency, cycle, duplicate step id). */
  InvalidPlan: 'InvalidPlan',
  /** A step failed; the capsule run fails with this type when a required step fails. */
  StepFailed: 'StepFailed',
  /** A step did not run because a step it depends on failed or was skipped, or the run stopped. */
  StepSkipped: 'StepSkipped',
  /** A reviewer rejected a checkpoint. */
  ReviewRejected: 'ReviewRejected',
  /** Nobody reviewed a checkpoint before its timeout and the checkpoint rejects on timeout. */
  ReviewTimedOut: 'ReviewTimedOut',
  /** A human rejected a pending approval, or it timed out. */
  ApprovalRejected: 'ApprovalRejected',
  /** A delegation was refused by the spawn policy (depth, fan-out, budget, tools). */
  SpawnDenied: 'SpawnDenied',
  /** The persona hit its turn limit without a final answer. */
  MaxTurnsReached: 'MaxTurnsReached',
  /** The run was cancelled by a `cancel` signal. */
  RunCancelled: 'RunCancelled',
  /** A persona's answer did not match the step's output schema, corrections included. */
  OutputSchemaMismatch: 'OutputSchemaMismatch',
  /** A capsule run ended with a failed step; the message names the step and why. */
  CapsuleRunFailed: 'CapsuleRunFailed',
  /**
   * The run's caller may not start it: no verified identity where one is required, a tenant other
   * than the caller's, an inline capsule without `capsule:inline`. The message names the fix.
   */
  RunUnauthorized: 'RunUnauthorized',
} as const;

export type WorkflowErrorType = (typeof WORKFLOW_ERROR_TYPES)[keyof typeof WORKFLOW_ERROR_TYPES];

/** Types that retrying a child workflow or activity can never fix. */
export const NON_RETRYABLE_WORKFLOW_ERROR_TYPES: readonly WorkflowErrorType[] = [
  WORKFLOW_ERROR_TYPES.ConstitutionDenied,
  WORKFLOW_ERROR_TYPES.BudgetExceeded,
  WORKFLOW_ERROR_TYPES.InvalidWorkflowInput,
  WORKFLOW_ERROR_TYPES.TemplateError,
  WORKFLOW_ERROR_TYPES.InvalidPlan,
  WORKFLOW_ERROR_TYPES.ReviewRejected,
  WORKFLOW_ERROR_TYPES.ReviewTimedOut,
  WORKFLOW_ERROR_TYPES.ApprovalRejected,
  WORKFLOW_ERROR_TYPES.SpawnDenied,
  WORKFLOW_ERROR_TYPES.MaxTurnsReached,
  WORKFLOW_ERROR_TYPES.RunCancelled,
  WORKFLOW_ERROR_TYPES.OutputSchemaMismatch,
  WORKFLOW_ERROR_TYPES.CapsuleRunFailed,
  WORKFLOW_ERROR_TYPES.RunUnauthorized,
];
