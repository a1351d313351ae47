import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { Logger } from '../../services/logger';
import { ERROR_TYPES } from '../shared/error-types';
import { failure, parseInput } from '../shared/failures';
import { currentInvocation, idempotencyKey, type Invocation } from '../shared/invocation';
import type { SlmToolDefinition } from '../slm/types';
import type { ExecutionLog } from './execution-log';
import type { ToolContext, ToolInfo, ToolRegistry } from './registry';
import { ToolError } from './tool-error';

export const executeToolInputSchema = z.object({
  toolId: z.string().min(1),
  /** The model's arguments (parsed JSON). */
  arguments: z.unknown(),
  /** Position of this call among the tool calls of one activity; part of the idempotency key. */
  callIndex: z.number().int().nonnegative().default(0),
  context: z.object({
    tenant: z.string().min(1),
    capsule: z.string().min(1).optional(),
    persona: z.string().min(1).optional(),
    /** Workspace shared by the run's personas; defaults to the workflow id. */
    workspaceId: z.string().min(1).optional(),
    guardrails: z.object({ allowedHosts: z.array(z.string().min(1)).optional() }).optional(),
  }),
});

export type ExecuteToolInput = z.input<typeof executeToolInputSchema>;

export interface ExecuteToolResult {
  toolId: string;
  /** The tool's output (plain JSON). */
  output: unknown;
  /** True when the side effect had already happened and its recorded result was returned. */
  replayed: boolean;
  idempotencyKey: string;
}

export const listToolsInputSchema = z.object({ ids: z.array(z.string().min(1)).optional() });
export type ListToolsInput = z.input<typeof listToolsInputSchema>;

export interface ListToolsResult {
  tools: ToolInfo[];
  /** Ready for `slmComplete({ tools })`. */
  definitions: SlmToolDefinition[];
}

export interface ToolActivitiesDeps {
  registry: ToolRegistry;
  executionLog: ExecutionLog;
  logger: Logger;
  /** @default reads Temporal's activity context */
  invocation?: () => Invocation;
}

/**
 * Checks an `executeTool` input up to the point where the tool would run: the envelope, the
 * tool (known, executable) and its arguments against the tool's schema.
 *
 * @throws ApplicationFailure `InvalidActivityInput`, `ToolNotFound`, `ToolNotExecutable`,
 *   `ToolArgumentsInvalid`, each naming the problem
 */
function prepareCall(registry: ToolRegistry, rawInput: unknown) {
  const input = parseInput(executeToolInputSchema, rawInput, 'executeTool');
  const tool = registry.get(input.toolId);
  if (!tool) {
    throw failure(
      ERROR_TYPES.ToolNotFound,
      `no tool with id "${input.toolId}" (known: ${registry
        .list()
        .map((t) => t.id)
        .join(', ')})`,
    );
  }
  const execute = tool.execute;
  if (!execute) {
    throw failure(
      ERROR_TYPES.ToolNotExecutable,
      `tool "${tool.id}" is handled by the workflow, not by executeTool`,
    );
  }
  const checked = registry.check(tool.id, input.arguments);
  if (!checked.ok) {
    throw failure(ERROR_TYPES.ToolArgumentsInvalid, `${tool.id}: ${checked.problems}`, {
      details: { toolId: tool.id, problems: checked.problems },
    });
  }
  return { input, tool, execute, args: checked.args };
}

/** A tool's own failure as the activity reports it: typed, prefixed with the tool id. */
function toolFailure(toolId: string, err: ToolError): ApplicationFailure {
  return failure(err.type, `${toolId}: ${err.message}`, {
    cause: err,
    details: { toolId, ...err.details },
  });
}

/**
 * Whether `executeTool` would refuse this input before running anything: the refusal it would
 * raise, or null. Only definitive (non-retryable) refusals count; a check that could not finish
 * (a DNS timeout, a retryable failure, an unexpected error) is no refusal, so the caller goes
 * on as if there were no pre-check and the tool checks again when it runs.
 */
export type ToolCallPrecheck = (rawInput: unknown, signal: AbortSignal) => Promise<ApplicationFailure | null>;

/**
 * The pre-check of `executeTool` calls for the constitution gate: the same validation as the
 * activity plus the tool's own `precheck` (registry.ts) (`http.request`: host allowlist
 * and address policy), with the very failures `executeTool` would raise. The gate asks it before
 * it puts a call up for human review.
 */
export function createToolPrecheck({ registry }: { registry: ToolRegistry }): ToolCallPrecheck {
  return async (rawInput, signal) => {
    let call: ReturnType<typeof prepareCall>;
    try {
      call = prepareCall(registry, rawInput);
    } catch (err) {
      if (err instanceof ApplicationFailure) return err;
      throw err;
    }
    const { input, tool, args } = call;
    if (!tool.precheck) return null;
    try {
      await tool.precheck(args, {
        tenant: input.context.tenant,
        capsule: input.context.capsule,
        persona: input.context.persona,
        guardrails: input.context.guardrails ?? {},
        signal,
      });
      return null;
    } catch (err) {
      if (!(err instanceof ToolError)) return null;
      const refusal = toolFailure(tool.id, err);
      return refusal.nonRetryable ? refusal : null;
    }
  };
}

/**
 * Tool activities. `executeTool` validates the model's arguments against the tool's schema and
 * runs it; tools with side effects (`sideEffect: 'write'`) run at most once per idempotency key
 * (workflow run + activity id + call index), so retries and replays get the recorded result.
 */
export function createToolActivities({
  registry,
  executionLog,
  logger,
  invocation = currentInvocation,
}: ToolActivitiesDeps) {
  const log = logger.child({ component: 'tool-activities' });
  return {
    /** Runs one built-in or registered tool call. */
    async executeTool(rawInput: ExecuteToolInput): Promise<ExecuteToolResult> {
      const { input, tool, execute, args } = prepareCall(registry, rawInput);
      const inv = invocation();
      const key = idempotencyKey(inv, input.callIndex);
      const context: ToolContext = {
        tenant: input.context.tenant,
        capsule: input.context.capsule,
        persona: input.context.persona,
        workspaceId: input.context.workspaceId ?? inv.workflowId,
        guardrails: input.context.guardrails ?? {},
        idempotencyKey: key,
        signal: inv.signal,
      };
      const run = () => execute(args, context);
      try {
        const { result, replayed } =
          tool.sideEffect === 'write' && !tool.idempotentByKey
            ? await executionLog.once({ key, toolId: tool.id, workflowId: inv.workflowId }, run)
            : { result: await run(), replayed: false };
        log.debug({ toolId: tool.id, key, replayed }, 'tool executed');
        return { toolId: tool.id, output: result, replayed, idempotencyKey: key };
      } catch (err) {
        if (err instanceof ToolError) throw toolFailure(tool.id, err);
        throw err;
      }
    },

    /** Tool descriptors (risk, category, side effect, egress) and SLM definitions. */
    listTools(rawInput: ListToolsInput = {}): Promise<ListToolsResult> {
      const { ids } = parseInput(listToolsInputSchema, rawInput, 'listTools');
      return Promise.resolve({ tools: registry.list(ids), definitions: registry.definitions(ids) });
    },
  };
}

export type ToolActivities = ReturnType<typeof createToolActivities>;
