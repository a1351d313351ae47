import type { Info as ActivityInfo } from '@temporalio/activity';
import type { Headers } from '@temporalio/common';
import { buildActionDescriptor, type ActionDescriptor } from '../../constitution';
import { GateContextError, readGateContext, type GateContext } from '../../workflows/gate-context';
import { DEFAULT_TOOL_ACTIVITIES, type ToolCatalog, type ToolCallExtractor } from './tool-catalog';

/** The parts of Temporal's activity `Info` the gate reads. */
export type GateActivityInfo = Pick<ActivityInfo, 'activityType' | 'activityId' | 'attempt'> & {
  workflowExecution?: { workflowId: string; runId: string } | undefined;
};

/** Why the gate refuses to evaluate an activity at all (it denies: fail closed). */
export type FailClosedReason =
  | 'missing-context'
  | 'invalid-context'
  | 'context-mismatch'
  | 'invalid-tool-call'
  | 'unknown-tool'
  | 'no-constitution';

export interface FailClosed {
  reason: FailClosedReason;
  /** One sentence for the workflow, the audit log and the human; never argument values. */
  message: string;
  /** Field-level problems (invalid header), each naming the field path. */
  issues?: ReadonlyArray<{ path: string; message: string }>;
}

/** How the gate turns an activity into x(a). */
export interface DescribeActivityOptions {
  /** Registry lookup for tool calls. */
  toolCatalog: ToolCatalog;
  /** Activity types that are tool calls, and where their tool id is. @default DEFAULT_TOOL_ACTIVITIES */
  toolActivities?: Readonly<Record<string, ToolCallExtractor>>;
  /**
   * Activity types that may run without a gate-context header (worker plumbing scheduled outside
   * a capsule run). They are still evaluated and audited, as platform actions of
   * `platformTenant`. Everything else without the header is denied.
   * @default none
   */
  infrastructureActivities?: ReadonlySet<string>;
  /** Tenant of header-less infrastructure activities. @default 'platform' */
  platformTenant?: string;
  /**
   * Activity types whose input is content for a model: scanned for PII, but URLs quoted in it
   * are not hosts the call contacts. @default DEFAULT_MODEL_ACTIVITIES
   */
  modelActivities?: ReadonlySet<string>;
}

/** The model-call activities of the platform (activities/slm). */
export const DEFAULT_MODEL_ACTIVITIES: ReadonlySet<string> = new Set(['slmComplete']);

/** The facts of one activity, ready for evaluation, or the reason it cannot be evaluated. */
export type ActivityDescription =
  | { ok: true; descriptor: ActionDescriptor; context: GateContext | null; toolId: string | null }
  | { ok: false; failure: FailClosed; context: GateContext | null; toolId: string | null };

/** Default tenant for header-less infrastructure activities. */
export const PLATFORM_TENANT = 'platform';

/**
 * Builds the action descriptor x(a) of one activity execution from the gate-context header the
 * workflow attached, the activity's identity and its single argument (plus the tool registry's
 * metadata for tool calls). Fails closed: a missing, malformed or foreign header, a tool call
 * without a tool id and an unknown tool all come back as a {@link FailClosed} reason instead of
 * a descriptor. Pure apart from the injected catalog lookup.
 */
export function describeActivity(
  info: GateActivityInfo,
  input: { args: readonly unknown[]; headers: Headers },
  options: DescribeActivityOptions,
): ActivityDescription {
  const read = readContext(info, input.headers, options);
  if ('failure' in read) return { ok: false, failure: read.failure, context: null, toolId: null };
  const context = read.context;

  const activityInput = input.args.length === 1 ? input.args[0] : input.args;
  const extract = (options.toolActivities ?? DEFAULT_TOOL_ACTIVITIES)[info.activityType];
  let tool: ReturnType<ToolCatalog> | null = null;
  let scanned: unknown = activityInput;
  let toolId: string | null = null;
  if (extract) {
    const call = extract(activityInput);
    if (call === null) {
      return {
        ok: false,
        context,
        toolId: null,
        failure: {
          reason: 'invalid-tool-call',
          message: `activity ${info.activityType} is a tool call but its input has no tool id (expected a non-empty "toolId")`,
        },
      };
    }
    toolId = call.toolId;
    tool = options.toolCatalog(call.toolId, call.args);
    if (tool === undefined) {
      return {
        ok: false,
        context,
        toolId,
        failure: { reason: 'unknown-tool', message: `tool ${call.toolId} is not in the tool registry` },
      };
    }
    // x(a) is about the action: scan and digest the tool's own arguments, not the envelope
    // around them (the header already says who acts and under which guardrails).
    scanned = call.args;
  }

  const descriptor = buildActionDescriptor({
    activityType: info.activityType,
    tenant: context?.tenant ?? options.platformTenant ?? PLATFORM_TENANT,
    tool: tool ? { id: tool.id, risk: tool.risk, category: tool.category, writes: tool.writes } : null,
    args: scanned,
    argsNameContacts: !(options.modelActivities ?? DEFAULT_MODEL_ACTIVITIES).has(info.activityType),
    persona: context?.persona ? { id: context.persona.id, trust: context.persona.trustLevel } : null,
    capsule: context
      ? { id: context.capsuleId, toolSuite: context.toolSuite, guardrails: context.guardrails }
      : null,
    budget: context
      ? { spentUsd: context.budget.spentUsd, limitUsd: context.budget.limitUsd }
      : { spentUsd: 0, limitUsd: null },
    trainingMode: context?.trainingMode ?? false,
    taint: context?.taint ?? [],
    denials: context?.denials ?? { recent: 0, window: 0 },
  });
  return { ok: true, descriptor, context, toolId };
}

function readContext(
  info: GateActivityInfo,
  headers: Headers,
  options: DescribeActivityOptions,
): { context: GateContext | null } | { failure: FailClosed } {
  let context: GateContext | undefined;
  try {
    context = readGateContext(headers);
  } catch (err) {
    if (!(err instanceof GateContextError)) throw err;
    return {
      failure: {
        reason: 'invalid-context',
        message: `gate context header is invalid: ${err.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
        issues: err.issues,
      },
    };
  }
  if (context === undefined) {
    if (options.infrastructureActivities?.has(info.activityType)) return { context: null };
    return {
      failure: {
        reason: 'missing-context',
        message:
          `activity ${info.activityType} carries no gate context header; schedule it from a workflow ` +
          `with the gate context interceptor, or list it as an infrastructure activity of the worker`,
      },
    };
  }
  const execution = info.workflowExecution;
  if (
    execution !== undefined &&
    (context.workflowId !== execution.workflowId || context.runId !== execution.runId)
  ) {
    // A header copied from another run would borrow that run's budget, trust and guardrails.
    return {
      failure: {
        reason: 'context-mismatch',
        message: `gate context header belongs to workflow ${context.workflowId} run ${context.runId}, not to the run executing this activity`,
      },
    };
  }
  return { context };
}
