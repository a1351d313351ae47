import type { OutputSchema } from '../../capsules/capsule-schema';
import type { ApprovalRegistrySnapshot } from '../approvals';
import type { BudgetLedgerSnapshot } from '../budget-ledger';
import type { ContextMessage } from '../context-window';
import type { RunInputFile } from './run-inputs';

/**
 * Workflow inputs and results. Everything here is plain JSON: an admin can paste a
 * `CapsuleWorkflowInput` into the Temporal Web UI's start form, and results read well there.
 * Types only: safe in the sandbox.
 */

/** Any JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * Capsule guardrails (cross-team contract; capsules define them, the action descriptor carries
 * them). Guardrails may only tighten.
 */
export interface Guardrails {
  /** θ floor in [0, 1]. */
  minThreshold?: number;
  deniedTools?: string[];
  allowedHosts?: string[];
  maxSpendUsd?: number;
  /** Tool ids that need a human approval before each call. */
  requireApprovalFor?: string[];
}

/** Tokens and money used by one call, one persona, or a whole run. */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/**
 * What a run (or persona) may still use. Limits only narrow down the tree: see
 * `narrowLimits` in `spawn-policy.ts`.
 */
export interface RunLimits {
  /** Tokens left; null means unlimited. */
  tokens: number | null;
  /** USD left; null means unlimited. */
  usd: number | null;
  /** Levels of delegation still allowed below this workflow (0: it may not spawn). */
  depth: number;
  /** Children this workflow may start in total. */
  maxChildren: number;
  /** Children this workflow may run at the same time. */
  maxConcurrency: number;
  /** Tool ids this workflow may use. */
  tools: string[];
}

export const TRIGGER_KINDS = ['manual', 'schedule', 'event', 'api'] as const;
export type TriggerKind = (typeof TRIGGER_KINDS)[number];

/** Why a run started. */
export interface CapsuleTrigger {
  kind: TriggerKind;
  /** Who started it (user or service principal), when known. */
  by?: string;
  /** Schedule id for `schedule` triggers. */
  scheduleId?: string;
  /** The event for `event` triggers. */
  event?: { type: string; id?: string; data?: { [key: string]: JsonValue } };
  /** Caller's request id for `api` triggers (idempotency, tracing). */
  requestId?: string;
}

/** Set when a capsule run is a composite step of another run. */
export interface ParentLink {
  workflowId: string;
  runId?: string;
  stepId: string;
  /** Depth of the parent (root run: 0). */
  depth: number;
  /** The root run (where approvals and usage reports go); the parent when left out. */
  rootWorkflowId?: string;
}

/** `capsuleWorkflow` input. */
export interface CapsuleWorkflowInput {
  /** `"id@range"` (e.g. `"product.launch@^1"`) resolved from the registry, or an inline capsule. */
  capsule: string | { [key: string]: JsonValue };
  /** Values for the capsule's declared parameters. */
  params?: { [key: string]: JsonValue };
  /**
   * Files written into the run's workspace before the first step, e.g.
   * `[{ "path": "meetings/transcript.txt", "content": "..." }]` (inline UTF-8 text) or
   * `[{ "path": "data/big.csv", "ref": "sha256:<hex>" }]` (a blob put into the payload store with
   * `somagent payloads put`). Paths are relative to the workspace; limits in `run-inputs.ts`.
   * Root runs only: nested runs share the root's workspace.
   */
  files?: RunInputFile[];
  trigger?: CapsuleTrigger;
  tenant?: string;
  /** Composite steps pass the nested capsule's compiled plan so the child skips loading. */
  plan?: { [key: string]: JsonValue };
  /** Set by a parent run for composite steps; absent for root runs. */
  parent?: ParentLink;
  /** Limits handed down by a parent run (already narrowed). */
  limits?: RunLimits;
  /** Data classes the parent run has already read. */
  taint?: string[];
}

export type StepState = 'pending' | 'running' | 'awaiting_review' | 'succeeded' | 'failed' | 'skipped';

/** A file or object a step produced. */
export interface ArtifactRef {
  stepId: string;
  /** Workspace path or storage key. */
  path: string;
  /** `sha256:<hex>` of the content when known. */
  digest?: string;
  bytes?: number;
  mediaType?: string;
}

/** Counts of gate decisions and human approvals over a run. */
export interface DecisionsSummary {
  allow: number;
  review: number;
  deny: number;
  approvalsGranted: number;
  approvalsRejected: number;
}

/** The outcome of one plan step. */
export interface StepRunResult {
  state: StepState;
  /** The persona's final answer (or the nested run's result) for succeeded steps. */
  output?: JsonValue;
  /** Why the step failed or was skipped. */
  error?: { type: string; message: string };
  /** Workflow id of the persona child or nested capsule run. */
  childWorkflowId?: string;
  usage: Usage;
}

/** `capsuleWorkflow` result. */
export interface CapsuleRunResult {
  status: 'completed' | 'failed' | 'cancelled';
  capsule: { id: string; version: string; planHash: string };
  workflowId: string;
  runId: string;
  steps: { [stepId: string]: StepRunResult };
  artifacts: ArtifactRef[];
  /** Whole run, children included. */
  usage: Usage & { totalTokens: number };
  decisions: DecisionsSummary;
  /** Data classes the run read. */
  taint: string[];
  /** ISO-8601, from workflow time. */
  startedAt: string;
  finishedAt: string;
}

/** The persona a `personaWorkflow` plays (resolved from the plan). */
export interface PersonaSpec {
  /** Alias in the capsule, e.g. `engineer`. */
  alias: string;
  id: string;
  version: string;
  systemPrompt: string;
  /** `provider/model`. */
  model: string;
  temperature: number;
  /** Trust level in [0, 1], fed to the gate. */
  trustLevel: number;
  maxTurns: number;
}

/** State a persona carries across continue-as-new. */
export interface PersonaCarry {
  /** Turns run before this execution. */
  turns: number;
  /** The context after compaction: instructions, the summary message, the newest turns. */
  messages: ContextMessage[];
  /** Budget state, this persona's own calls and its children's roll-ups. */
  ledger: BudgetLedgerSnapshot;
  /** Approvals this persona still waits for. */
  approvals: ApprovalRegistrySnapshot;
  taint: string[];
  childrenStarted: number;
  decisions: DecisionsSummary;
  /** Correction turns already given for off-schema answers (absent in older carries: 0). */
  corrections?: number;
  /** Files written so far (absent in older carries). */
  artifacts?: ArtifactRef[];
}

/** `personaWorkflow` input. */
export interface PersonaWorkflowInput {
  /** Workflow id of the root capsule run (approvals and audit group by it). */
  rootWorkflowId: string;
  /** Workflow id of the direct parent (capsule run or delegating persona). */
  parentWorkflowId: string;
  stepId: string;
  tenant: string;
  capsule: { id: string; version: string };
  persona: PersonaSpec;
  /** The rendered instruction. */
  instruction: string;
  /**
   * The step's declared output: the `finish` tool takes it as its parameters and the answer is
   * validated against it (a bounded correction turn, then `invalid_output`). Absent: a string.
   */
  output?: OutputSchema;
  guardrails: Guardrails;
  /** Already narrowed by the parent. */
  limits: RunLimits;
  /** Depth of this persona (a step's persona: 1). */
  depth: number;
  taint: string[];
  trainingMode?: boolean;
  /** Token budget of the model context; older turns are compacted above 80 %. @default 16000 */
  contextTokens?: number;
  /** Present after continue-as-new. */
  carry?: PersonaCarry;
}

/** `personaWorkflow` result. */
export interface PersonaResult {
  status: 'final' | 'max_turns' | 'budget_exhausted' | 'cancelled' | 'invalid_output';
  /**
   * The final answer (a value of the step's output schema when it declares one, else text), or
   * the best partial answer.
   */
  output: JsonValue;
  /** Why the loop stopped, for humans (e.g. the budget that ran out). */
  reason: string;
  artifacts: ArtifactRef[];
  /** This persona and every descendant. */
  usage: Usage;
  turns: number;
  taint: string[];
  decisions: DecisionsSummary;
}
