import { defaultPayloadConverter, type Headers, type Payload } from '@temporalio/common';
import { z } from 'zod';
import { GATE_CONTEXT_HEADER } from './shared/constants';
import type { Guardrails } from './shared/types';

/**
 * The gate context: what the constitution gate needs to know about the run that schedules an
 * activity, beyond the activity's own arguments. Workflows attach it as a header to every
 * activity (see `gate-context-interceptor.ts`); the worker's activity-inbound gate reads it to
 * build the action descriptor x(a). Because the header is part of the ScheduleActivityTask
 * command, it is in history: a replayed decision sees exactly what the original one saw.
 * Secrets never go in here. Pure; sandbox-safe.
 */

/** Header schema version; bump when a field changes meaning. */
export const GATE_CONTEXT_VERSION = 1;

export interface GateContext {
  version: typeof GATE_CONTEXT_VERSION;
  tenant: string;
  capsuleId: string;
  capsuleVersion: string;
  /** The persona instance acting; null for the capsule run's own platform activities. */
  persona: { id: string; trustLevel: number } | null;
  guardrails: Guardrails;
  /** Tools this workflow may use (its narrowed tool rights). */
  toolSuite: string[];
  /** Spend so far and the limits; null limits mean unlimited. */
  budget: { spentUsd: number; limitUsd: number | null; spentTokens: number; limitTokens: number | null };
  /** Data classes the run has read (sorted, unique). */
  taint: string[];
  trainingMode: boolean;
  /** Gate denials this run has seen in its recent window. */
  denials: { recent: number; window: number };
  workflowId: string;
  runId: string;
  /** The root capsule run (approvals and audit group by it). */
  rootWorkflowId: string;
  /** Delegation depth of the workflow (capsule run: 0). */
  depth: number;
}

/**
 * Built on first use, not at module load: only the worker decodes gate contexts, while every
 * workflow run loads this module again in a reused V8 context (see `ARCHITECTURE.md`).
 */
let gateContextSchema: z.ZodType<GateContext> | undefined;

function buildGateContextSchema(): z.ZodType<GateContext> {
  const nonEmpty = z.string().min(1);

  return z.strictObject({
    version: z.literal(GATE_CONTEXT_VERSION, {
      message: `expected version ${GATE_CONTEXT_VERSION}; worker and workflow code are out of step`,
    }),
    tenant: nonEmpty,
    capsuleId: nonEmpty,
    capsuleVersion: nonEmpty,
    persona: z.strictObject({ id: nonEmpty, trustLevel: z.number().min(0).max(1) }).nullable(),
    guardrails: z.strictObject({
      minThreshold: z.number().min(0).max(1).optional(),
      deniedTools: z.array(nonEmpty).optional(),
      allowedHosts: z.array(nonEmpty).optional(),
      maxSpendUsd: z.number().min(0).optional(),
      requireApprovalFor: z.array(nonEmpty).optional(),
    }),
    toolSuite: z.array(nonEmpty),
    budget: z.strictObject({
      spentUsd: z.number().min(0),
      limitUsd: z.number().min(0).nullable(),
      spentTokens: z.number().int().min(0),
      limitTokens: z.number().int().min(0).nullable(),
    }),
    taint: z.array(nonEmpty),
    trainingMode: z.boolean(),
    denials: z.strictObject({ recent: z.number().int().min(0), window: z.number().int().min(0) }),
    workflowId: nonEmpty,
    runId: nonEmpty,
    rootWorkflowId: nonEmpty,
    depth: z.number().int().min(0),
  });
}

/** A gate-context header that is missing a field or carries a wrong one; names each field. */
export class GateContextError extends Error {
  override readonly name = 'GateContextError';

  constructor(
    readonly issues: ReadonlyArray<{ path: string; message: string }>,
    options?: { cause?: unknown },
  ) {
    super(`Invalid gate context header: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, options);
  }
}

/** Gate outcomes the denial window remembers. @default 20 */
export const DENIAL_WINDOW_SIZE = 20;

/**
 * Slides the run's window of recent gate outcomes (true = denied) and gives the counts the
 * context carries. The workflow sees a denial as a `ConstitutionDenied` failure and anything
 * else as allowed.
 */
export function recordGateOutcome(
  history: readonly boolean[],
  denied: boolean,
  size: number = DENIAL_WINDOW_SIZE,
): { history: boolean[]; denials: GateContext['denials'] } {
  const next = [...history, denied].slice(-size);
  return { history: next, denials: { recent: next.filter(Boolean).length, window: next.length } };
}

/** Workflow state a gate context is built from. */
export interface GateContextState {
  tenant: string;
  capsule: { id: string; version: string };
  persona: { id: string; trustLevel: number } | null;
  guardrails: Guardrails;
  tools: readonly string[];
  /** From the run's budget ledger: spent (own + children) and limits. */
  spent: { inputTokens: number; outputTokens: number; costUsd: number };
  limits: { tokens: number | null; usd: number | null };
  taint: readonly string[];
  trainingMode: boolean;
  denials: GateContext['denials'];
  workflowId: string;
  runId: string;
  rootWorkflowId: string;
  depth: number;
}

/**
 * Builds the context from workflow state. The spend limit is the lower of the run's budget and
 * the guardrails' `maxSpendUsd`, so the gate scores against the tighter one.
 */
export function buildGateContext(state: GateContextState): GateContext {
  const { maxSpendUsd } = state.guardrails;
  const limitUsd =
    maxSpendUsd === undefined
      ? state.limits.usd
      : state.limits.usd === null
        ? maxSpendUsd
        : Math.min(state.limits.usd, maxSpendUsd);
  return {
    version: GATE_CONTEXT_VERSION,
    tenant: state.tenant,
    capsuleId: state.capsule.id,
    capsuleVersion: state.capsule.version,
    persona: state.persona === null ? null : { ...state.persona },
    guardrails: structuredGuardrails(state.guardrails),
    toolSuite: [...state.tools],
    budget: {
      spentUsd: state.spent.costUsd,
      limitUsd,
      spentTokens: state.spent.inputTokens + state.spent.outputTokens,
      limitTokens: state.limits.tokens,
    },
    taint: [...state.taint],
    trainingMode: state.trainingMode,
    denials: { ...state.denials },
    workflowId: state.workflowId,
    runId: state.runId,
    rootWorkflowId: state.rootWorkflowId,
    depth: state.depth,
  };
}

function structuredGuardrails(g: Guardrails): Guardrails {
  return {
    ...(g.minThreshold !== undefined ? { minThreshold: g.minThreshold } : {}),
    ...(g.deniedTools ? { deniedTools: [...g.deniedTools] } : {}),
    ...(g.allowedHosts ? { allowedHosts: [...g.allowedHosts] } : {}),
    ...(g.maxSpendUsd !== undefined ? { maxSpendUsd: g.maxSpendUsd } : {}),
    ...(g.requireApprovalFor ? { requireApprovalFor: [...g.requireApprovalFor] } : {}),
  };
}

/** Encodes a gate context as a JSON header payload. */
export function encodeGateContext(context: GateContext): Payload {
  return defaultPayloadConverter.toPayload(context);
}

/** Decodes and validates a gate-context payload; throws {@link GateContextError}. */
export function decodeGateContext(payload: Payload): GateContext {
  let value: unknown;
  try {
    value = defaultPayloadConverter.fromPayload(payload);
  } catch (cause) {
    throw new GateContextError([{ path: '(payload)', message: 'not a JSON payload' }], { cause });
  }
  gateContextSchema ??= buildGateContextSchema();
  const parsed = gateContextSchema.safeParse(value);
  if (!parsed.success) {
    throw new GateContextError(
      parsed.error.issues.map((issue) => ({
        path: issue.path.length > 0 ? issue.path.map(String).join('.') : '(context)',
        message: issue.message,
      })),
    );
  }
  return parsed.data;
}

/** Returns headers with the gate context set (other headers kept; the input is not modified). */
export function withGateContext(headers: Headers, context: GateContext): Headers {
  return { ...headers, [GATE_CONTEXT_HEADER]: encodeGateContext(context) };
}

/** Reads the gate context from activity headers; undefined when the header is absent. */
export function readGateContext(headers: Headers): GateContext | undefined {
  const payload = headers[GATE_CONTEXT_HEADER];
  return payload === undefined ? undefined : decodeGateContext(payload);
}
