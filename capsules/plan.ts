import type { Capsule, MemoryRef, OutputSchema, ParamSpec, StepTask, Trigger } from './capsule-schema';
import type { Guardrails } from './guardrails';

/**
 * The compiled plan: plain JSON that `workflows/capsule.ts` executes. Everything a run needs is
 * resolved and inlined (personas, nested capsule plans), so the workflow does no lookups.
 * Sandbox-safe (types only).
 */

export const PLAN_VERSION = 1;

/** A persona template bound to a capsule alias, with the capsule's overrides applied. */
export interface ResolvedPersona {
  alias: string;
  /** The reference as written, e.g. `engineer@^1`. */
  ref: string;
  id: string;
  version: string;
  /** Content hash of the persona template version that was used. */
  hash: string;
  name: string;
  traits: string[];
  systemPrompt: string;
  model: { planning: string; implementation: string; review: string };
  temperature: number;
  /** Effective tool allowlist (template allowlist, narrowed by overrides). */
  tools: string[];
  skills: string[];
  maxTurns: number;
  /**
   * Trust the gate gives this persona in [0, 1]: the template's `trust`, else
   * `DEFAULT_PERSONA_TRUST`. Absent from plans compiled before it existed.
   */
  trust?: number;
}

export interface PlanReview {
  prompt: string;
  timeoutMs: number;
  onTimeout: 'reject' | 'approve';
  reviewers?: string[];
}

interface PlanStepBase {
  id: string;
  title?: string;
  /** Topological layer: every step in a layer can run in parallel. */
  layer: number;
  dependsOn: string[];
  review?: PlanReview;
  output?: OutputSchema;
}

export interface PersonaPlanStep extends PlanStepBase {
  kind: 'persona';
  /** Alias into `plan.personas`. */
  persona: string;
  instruction: string;
  task: StepTask;
  modelTier: 'planning' | 'implementation' | 'review';
  /** `provider/model` chosen from the persona's preference for the tier. */
  model: string;
  tools: string[];
  /** Expected calls per tool (every tool present; unlisted tools count once). */
  expectedToolCalls: Record<string, number>;
  maxTurns: number;
}

export interface CapsulePlanStep extends PlanStepBase {
  kind: 'capsule';
  /** The reference as written, e.g. `product.qa@^1`. */
  ref: string;
  /** Parameter bindings for the nested capsule (templates over this capsule's context). */
  params: Record<string, string | number | boolean | string[]>;
  /** The nested capsule's compiled plan, guardrails already tightened by this capsule's. */
  plan: CapsulePlan;
}

export type PlanStep = PersonaPlanStep | CapsulePlanStep;

export interface CapsulePlan {
  planVersion: typeof PLAN_VERSION;
  /** `sha256:<hex>` of everything else in the plan. */
  hash: string;
  capsule: Pick<Capsule, 'id' | 'version' | 'title' | 'description' | 'type' | 'intent' | 'deliverable'> & {
    owner?: string;
    tags?: string[];
  };
  params: Record<string, ParamSpec>;
  personas: Record<string, ResolvedPersona>;
  tools: string[];
  memory: MemoryRef[];
  /** Effective guardrails (nested plans: tightened by every enclosing capsule). */
  guardrails: Guardrails;
  budget: { tokens: number; costUsd: number; wallTimeMs: number; approvalLimitUsd?: number };
  triggers: Trigger[];
  /** Steps in declaration order. */
  steps: PlanStep[];
  layers: string[][];
  /** Longest dependency chain; nested capsules weigh their own critical path length. */
  criticalPath: { steps: string[]; length: number };
}
