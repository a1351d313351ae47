/**
 * Names that client, worker and workflow code must agree on. Pure constants: safe in the
 * workflow sandbox, in the worker and in clients.
 */

/** Default task queue for every SomaGent workflow and activity (cross-team contract). */
export const TASK_QUEUE = 'somagent';

/** Workflow type names (cross-team contract); the exported workflow functions carry these names. */
export const WORKFLOW_TYPES = {
  capsule: 'capsuleWorkflow',
  persona: 'personaWorkflow',
  training: 'trainingWorkflow',
} as const;

export type WorkflowType = (typeof WORKFLOW_TYPES)[keyof typeof WORKFLOW_TYPES];

/**
 * Header that carries the gate context (see `gate-context.ts`) on every activity a workflow
 * schedules. The worker's activity-inbound gate interceptor reads it to build x(a).
 */
export const GATE_CONTEXT_HEADER = 'somagent-gate-context';

/** Tenant of a run (and of the CLI's tenant-scoped commands) when none is given. */
export const DEFAULT_TENANT = 'default';
