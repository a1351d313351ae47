import type { PendingApproval } from './approvals';
import type { DecisionsSummary, JsonValue, StepState, TriggerKind, Usage } from './shared/types';

/**
 * The `status` query's view of a capsule run, built by a pure reducer from the events the
 * workflow records as it goes (step and persona lifecycle, usage, approvals, gate decisions).
 * The workflow keeps the state and answers the query with it; the same events replayed give the
 * same view. Pure; sandbox-safe.
 */

export type RunPhase =
  | 'starting'
  | 'loading'
  | 'awaiting_approval'
  | 'running'
  | 'finishing'
  | 'completed'
  | 'failed'
  | 'cancelled';

export interface StepStatus {
  id: string;
  title?: string;
  kind: 'persona' | 'capsule';
  /** Persona alias for persona steps. */
  persona?: string;
  dependsOn: string[];
  state: StepState;
  childWorkflowId?: string;
  startedAt?: string;
  finishedAt?: string;
  /** Failure or skip explanation. */
  reason?: string;
  /** The step's output once it succeeded: typed when the step declares an output schema. */
  output?: JsonValue;
  /** Own usage of every workflow of this step (persona and its delegates). */
  usage: Usage;
}

export interface PersonaStatus {
  workflowId: string;
  stepId: string;
  personaId: string;
  parentWorkflowId: string;
  depth: number;
  state: 'running' | 'final' | 'max_turns' | 'budget_exhausted' | 'cancelled' | 'invalid_output' | 'failed';
  usage: Usage;
}

export interface RunStatus {
  phase: RunPhase;
  capsule: { id: string; version: string } | null;
  tenant: string | null;
  trigger: TriggerKind | null;
  planHash: string | null;
  startedAt: string | null;
  updatedAt: string | null;
  finishedAt: string | null;
  steps: StepStatus[];
  personas: PersonaStatus[];
  /** Whole run: the sum of every workflow's own usage. */
  usage: Usage & { totalTokens: number };
  /** Latest own usage reported by each workflow of the run (capsule runs and personas). */
  usageByWorkflow: Record<string, Usage>;
  budget: { limitUsd: number | null; limitTokens: number | null };
  pendingApprovals: PendingApproval[];
  decisions: DecisionsSummary;
  /** Memory snapshots the run reads, pinned at run start (`null`: optional and not stored). */
  memory: Record<string, { ref: string; digest: string } | null>;
}

export type RunEvent =
  | {
      type: 'run.started';
      at: string;
      capsule: { id: string; version: string };
      tenant: string;
      trigger: TriggerKind;
    }
  | { type: 'run.phase'; at: string; phase: Exclude<RunPhase, 'completed' | 'failed' | 'cancelled'> }
  | {
      type: 'plan.loaded';
      at: string;
      capsule: { id: string; version: string };
      planHash: string;
      steps: Array<{
        id: string;
        title?: string;
        kind: 'persona' | 'capsule';
        persona?: string;
        dependsOn: string[];
      }>;
      budget: { limitUsd: number | null; limitTokens: number | null };
    }
  | { type: 'memory.loaded'; at: string; pinned: Record<string, { ref: string; digest: string } | null> }
  | { type: 'step.started'; at: string; stepId: string; childWorkflowId: string }
  | { type: 'step.awaiting_review'; at: string; stepId: string }
  | { type: 'step.succeeded'; at: string; stepId: string; output?: JsonValue }
  | { type: 'step.failed'; at: string; stepId: string; reason: string }
  | { type: 'step.skipped'; at: string; stepId: string; reason: string }
  | {
      type: 'persona.started';
      at: string;
      workflowId: string;
      stepId: string;
      personaId: string;
      parentWorkflowId: string;
      depth: number;
    }
  | {
      type: 'persona.finished';
      at: string;
      workflowId: string;
      state: Exclude<PersonaStatus['state'], 'running'>;
    }
  /** `own` is the workflow's own cumulative usage, descendants excluded; it replaces the last report. */
  | { type: 'usage'; at: string; workflowId: string; stepId?: string; own: Usage }
  | { type: 'approval.requested'; at: string; approval: PendingApproval }
  | {
      type: 'approval.resolved';
      at: string;
      approvalId: string;
      approved: boolean;
      /** The verified subject (or, unverified in local mode, the sender's `by`). */
      by?: string;
      verified?: boolean;
    }
  /** A decision whose proof did not hold (forged, expired, replayed, other tenant): still pending. */
  | { type: 'approval.refused'; at: string; approvalId: string; reason: string }
  | { type: 'approval.withdrawn'; at: string; approvalId: string }
  | { type: 'gate.decision'; at: string; decision: 'allow' | 'review' | 'deny' }
  | { type: 'run.finished'; at: string; status: 'completed' | 'failed' | 'cancelled' };

const ZERO: Usage = Object.freeze({ inputTokens: 0, outputTokens: 0, costUsd: 0 });

/** The view before any event. */
export function initialStatus(): RunStatus {
  return {
    phase: 'starting',
    capsule: null,
    tenant: null,
    trigger: null,
    planHash: null,
    startedAt: null,
    updatedAt: null,
    finishedAt: null,
    steps: [],
    personas: [],
    usage: { ...ZERO, totalTokens: 0 },
    usageByWorkflow: {},
    budget: { limitUsd: null, limitTokens: null },
    pendingApprovals: [],
    decisions: { allow: 0, review: 0, deny: 0, approvalsGranted: 0, approvalsRejected: 0 },
    memory: {},
  };
}

/**
 * Applies one event. Returns a new state and leaves the input untouched. Events about unknown
 * steps or personas are ignored rather than thrown: a query view must never fail a workflow task.
 */
export function reduceStatus(state: RunStatus, event: RunEvent): RunStatus {
  const next: RunStatus = { ...state, updatedAt: event.at };
  switch (event.type) {
    case 'run.started':
      return {
        ...next,
        phase: 'loading',
        capsule: event.capsule,
        tenant: event.tenant,
        trigger: event.trigger,
        startedAt: event.at,
      };
    case 'memory.loaded':
      return { ...next, memory: event.pinned };
    case 'run.phase':
      return { ...next, phase: event.phase };
    case 'plan.loaded':
      return {
        ...next,
        capsule: event.capsule,
        planHash: event.planHash,
        budget: { ...event.budget },
        steps: event.steps.map((s) => ({
          id: s.id,
          ...(s.title !== undefined ? { title: s.title } : {}),
          kind: s.kind,
          ...(s.persona !== undefined ? { persona: s.persona } : {}),
          dependsOn: [...s.dependsOn],
          state: 'pending',
          usage: { ...ZERO },
        })),
      };
    case 'step.started':
      return withStep(next, event.stepId, {
        state: 'running',
        childWorkflowId: event.childWorkflowId,
        startedAt: event.at,
      });
    case 'step.awaiting_review':
      return withStep(next, event.stepId, { state: 'awaiting_review' });
    case 'step.succeeded':
      return withStep(next, event.stepId, {
        state: 'succeeded',
        finishedAt: event.at,
        ...(event.output !== undefined ? { output: event.output } : {}),
      });
    case 'step.failed':
      return withStep(next, event.stepId, { state: 'failed', finishedAt: event.at, reason: event.reason });
    case 'step.skipped':
      return withStep(next, event.stepId, { state: 'skipped', finishedAt: event.at, reason: event.reason });
    case 'persona.started': {
      const persona: PersonaStatus = {
        workflowId: event.workflowId,
        stepId: event.stepId,
        personaId: event.personaId,
        parentWorkflowId: event.parentWorkflowId,
        depth: event.depth,
        state: 'running',
        usage: { ...ZERO },
      };
      const reported = state.usageByWorkflow[event.workflowId];
      if (reported) persona.usage = { ...reported };
      const exists = state.personas.some((p) => p.workflowId === event.workflowId);
      return {
        ...next,
        personas: exists
          ? state.personas.map((p) => (p.workflowId === event.workflowId ? persona : p))
          : [...state.personas, persona],
      };
    }
    case 'persona.finished':
      return {
        ...next,
        personas: state.personas.map((p) =>
          p.workflowId === event.workflowId ? { ...p, state: event.state } : p,
        ),
      };
    case 'usage':
      return applyUsage(next, event);
    case 'approval.requested':
      return {
        ...next,
        pendingApprovals: [
          ...state.pendingApprovals.filter((a) => a.approvalId !== event.approval.approvalId),
          { ...event.approval },
        ],
      };
    case 'approval.resolved': {
      if (!state.pendingApprovals.some((a) => a.approvalId === event.approvalId)) return next;
      const key = event.approved ? 'approvalsGranted' : 'approvalsRejected';
      return {
        ...next,
        pendingApprovals: state.pendingApprovals.filter((a) => a.approvalId !== event.approvalId),
        decisions: { ...state.decisions, [key]: state.decisions[key] + 1 },
      };
    }
    case 'approval.refused':
      return next;
    case 'approval.withdrawn':
      return {
        ...next,
        pendingApprovals: state.pendingApprovals.filter((a) => a.approvalId !== event.approvalId),
      };
    case 'gate.decision':
      return {
        ...next,
        decisions: { ...state.decisions, [event.decision]: state.decisions[event.decision] + 1 },
      };
    case 'run.finished':
      return { ...next, phase: event.status, finishedAt: event.at, pendingApprovals: [] };
  }
}

/** Folds a list of events from the initial view. */
export function statusFromEvents(events: readonly RunEvent[]): RunStatus {
  return events.reduce(reduceStatus, initialStatus());
}

function withStep(state: RunStatus, stepId: string, patch: Partial<StepStatus>): RunStatus {
  return { ...state, steps: state.steps.map((s) => (s.id === stepId ? { ...s, ...patch } : s)) };
}

/**
 * Usage reports are cumulative per workflow, so the difference to that workflow's previous
 * report is what gets added to its step and to the run.
 */
function applyUsage(state: RunStatus, event: Extract<RunEvent, { type: 'usage' }>): RunStatus {
  const previous = state.usageByWorkflow[event.workflowId] ?? ZERO;
  const delta: Usage = {
    inputTokens: event.own.inputTokens - previous.inputTokens,
    outputTokens: event.own.outputTokens - previous.outputTokens,
    costUsd: event.own.costUsd - previous.costUsd,
  };
  const stepId = event.stepId ?? state.personas.find((p) => p.workflowId === event.workflowId)?.stepId;
  const usage = add(state.usage, delta);
  return {
    ...state,
    usage: { ...usage, totalTokens: usage.inputTokens + usage.outputTokens },
    usageByWorkflow: { ...state.usageByWorkflow, [event.workflowId]: { ...event.own } },
    personas: state.personas.map((p) =>
      p.workflowId === event.workflowId ? { ...p, usage: { ...event.own } } : p,
    ),
    steps: state.steps.map((s) => (s.id === stepId ? { ...s, usage: add(s.usage, delta) } : s)),
  };
}

function add(a: Usage, b: Usage): Usage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    costUsd: Math.round((a.costUsd + b.costUsd) * 1e9) / 1e9,
  };
}
