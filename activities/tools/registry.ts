import { z } from 'zod';
import type { SlmToolDefinition } from '../slm/types';
import { describeIssues } from '../shared/failures';

/** Same scale as the constitution's `ToolRisk` (constitution/descriptor.ts). */
export type ToolRisk = 'low' | 'medium' | 'high' | 'critical';
export type ToolSideEffect = 'read' | 'write';

/** Everything a tool executor may know about the call; secrets are not part of it. */
export interface ToolContext {
  tenant: string;
  capsule?: string;
  persona?: string;
  /** The run's workspace directory key (defaults to the workflow id). */
  workspaceId: string;
  /** Capsule guardrails relevant to execution (they only tighten the worker's own settings). */
  guardrails: { allowedHosts?: string[] };
  /** Stable across retries of this call: use it to make side effects idempotent downstream. */
  idempotencyKey: string;
  signal: AbortSignal;
}

/** What a tool's {@link ToolDescriptor.precheck} may know: the call without its idempotency key. */
export type ToolPrecheckContext = Pick<
  ToolContext,
  'tenant' | 'capsule' | 'persona' | 'guardrails' | 'signal'
>;

/** What the gate, the SLM and the UI know about a tool. Plain JSON. */
export interface ToolInfo {
  id: string;
  description: string;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
  risk: ToolRisk;
  category: string;
  sideEffect: ToolSideEffect;
  /** Sends data off this machine. */
  egress: boolean;
  /** Handled by the workflow itself (`delegate`, `finish`); an activity never executes it. */
  workflowHandled: boolean;
}

export interface ToolDescriptor<S extends z.ZodType = z.ZodType> {
  id: string;
  description: string;
  args: S;
  risk: ToolRisk;
  category: string;
  sideEffect: ToolSideEffect;
  egress: boolean;
  /**
   * Whether one call changes state, when that depends on the arguments (`http.request`: POST
   * writes, GET reads). Without it, `sideEffect` decides.
   */
  writes?: (args: z.output<S>) => boolean;
  /**
   * The executor is itself idempotent on `context.idempotencyKey` (e.g. a unique key in its own
   * table), so `executeTool` skips the execution record. It also avoids holding a second pooled
   * connection while the executor uses the same pool.
   */
  idempotentByKey?: boolean;
  /** Absent for tools the workflow handles. */
  execute?: (args: z.output<S>, context: ToolContext) => Promise<unknown>;
  /**
   * The refusals `execute` would raise before any effect (policy checks such as the host
   * allowlist), without the effect: throws the same `ToolError`. The gate asks it before a
   * review-band call goes to a human, so nobody approves a call the tool then refuses. `execute`
   * must still check for itself: the world may change between the two.
   */
  precheck?: (args: z.output<S>, context: ToolPrecheckContext) => Promise<void>;
}

/** Helper that keeps the executor's argument type tied to its schema. */
export function defineTool<S extends z.ZodType>(descriptor: ToolDescriptor<S>): ToolDescriptor {
  return descriptor;
}

export type ArgsCheck = { ok: true; args: unknown } | { ok: false; problems: string };

export interface ToolRegistry {
  get(id: string): ToolDescriptor | undefined;
  /** Descriptors without executors, optionally only the given ids (in that order). */
  list(ids?: readonly string[]): ToolInfo[];
  /** Tool definitions in the shape `slmComplete` passes to the model. */
  definitions(ids?: readonly string[]): SlmToolDefinition[];
  /** Validates arguments against the tool's schema; problems name each field. */
  check(id: string, args: unknown): ArgsCheck;
  /**
   * Whether this call changes state: the gate's `writes` for the action descriptor. Unknown
   * tools and arguments that fail validation count as writes (the cautious answer).
   */
  writes(id: string, args: unknown): boolean;
}

function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>;
  return rest;
}

/** Builds the registry; ids must be unique. */
export function createToolRegistry(tools: readonly ToolDescriptor[]): ToolRegistry {
  const byId = new Map<string, ToolDescriptor>();
  for (const tool of tools) {
    if (byId.has(tool.id)) throw new Error(`tool id registered twice: ${tool.id}`);
    byId.set(tool.id, tool);
  }
  const infos = new Map(
    [...byId.values()].map((t): [string, ToolInfo] => [
      t.id,
      {
        id: t.id,
        description: t.description,
        parameters: jsonSchemaOf(t.args),
        risk: t.risk,
        category: t.category,
        sideEffect: t.sideEffect,
        egress: t.egress,
        workflowHandled: !t.execute,
      },
    ]),
  );
  const list = (ids?: readonly string[]) =>
    ids ? ids.flatMap((id) => (infos.has(id) ? [infos.get(id)!] : [])) : [...infos.values()];
  return {
    get: (id) => byId.get(id),
    list,
    definitions: (ids) =>
      list(ids).map(({ id, description, parameters }) => ({ name: id, description, parameters })),
    writes(id, args) {
      const tool = byId.get(id);
      if (!tool) return true;
      if (!tool.writes) return tool.sideEffect === 'write';
      const parsed = tool.args.safeParse(args);
      return parsed.success ? tool.writes(parsed.data) : true;
    },
    check(id, args) {
      const tool = byId.get(id);
      if (!tool) return { ok: false, problems: `unknown tool ${id}` };
      const parsed = tool.args.safeParse(args);
      return parsed.success
        ? { ok: true, args: parsed.data }
        : { ok: false, problems: describeIssues(parsed.error, 'arguments') };
    },
  };
}
