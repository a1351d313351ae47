import OpenAI from 'openai';
import type { Pool } from 'pg';
import type { Config } from '../services/config';
import type { Logger } from '../services/logger';
import type { Redis } from '../services/redis';
import { currentInvocation, type Invocation } from './shared/invocation';
import { createBudgetActivities } from './budget/budget-activities';
import { createBudgetStore } from './budget/budget-store';
import { createOpenAiEmbedder, type Embedder } from './memory/embedder';
import { createMemoryActivities } from './memory/memory-activities';
import { createMemoryStore } from './memory/memory-store';
import { DEFAULT_PRICES, type PriceTable } from '../capsules/prices';
import { createSlmProviders, SLM_REQUEST_TIMEOUT_MS } from './slm/providers';
import { createRateLimiter } from './slm/rate-limiter';
import { createSlmActivities } from './slm/slm-activities';
import { builtinTools } from './tools/builtin-tools';
import { createExecutionLog } from './tools/execution-log';
import { createHttpRequester } from './tools/http-request';
import { createToolRegistry, type ToolDescriptor } from './tools/registry';
import { createRunInputActivities } from './tools/run-inputs';
import { createSnapshotActivities } from './memory/snapshot-activities';
import { createSnapshotStore } from './memory/snapshot-store';
import { createToolActivities, createToolPrecheck } from './tools/tool-activities';
import { createWorkspaces } from './tools/workspace';

export interface ExecutionActivitiesDeps {
  config: Config;
  pool: Pool;
  redis: Redis;
  logger: Logger;
  /** Overrides or extends the price catalogue (`capsules/prices.ts`); keys `provider/model`. */
  prices?: PriceTable;
  /** Extra tools beside the built-ins. */
  tools?: ToolDescriptor[];
  /** Who is running the activity. @default reads Temporal's activity context */
  invocation?: () => Invocation;
}

function embedderFrom(config: Config): Embedder | undefined {
  if (!config.EMBEDDINGS_PROVIDER) return undefined;
  const local = config.EMBEDDINGS_PROVIDER === 'local';
  const apiKey = local ? (config.LOCAL_SLM_API_KEY ?? 'not-needed') : config.OPENAI_API_KEY;
  const baseURL = local ? config.LOCAL_SLM_BASE_URL : config.OPENAI_BASE_URL;
  if (!apiKey || (local && !baseURL)) {
    throw new Error(
      `EMBEDDINGS_PROVIDER=${config.EMBEDDINGS_PROVIDER} needs ${local ? 'LOCAL_SLM_BASE_URL' : 'OPENAI_API_KEY'} to be set`,
    );
  }
  return createOpenAiEmbedder({
    client: new OpenAI({ apiKey, baseURL, maxRetries: 0, timeout: SLM_REQUEST_TIMEOUT_MS }),
    model: config.EMBEDDINGS_MODEL,
  });
}

/**
 * Composition root of the execution activities: builds every client and store once from
 * config and the injected connections, and returns the activity functions a worker registers
 * together with the tool registry they execute, so the worker's constitution gate judges tool
 * calls against the very same registry (one source of tool ids, risks and write flags).
 */
export function createExecution({
  config,
  pool,
  redis,
  logger,
  prices,
  tools = [],
  invocation = currentInvocation,
}: ExecutionActivitiesDeps) {
  const budgets = createBudgetStore({ redis, reservationTtlMs: config.BUDGET_RESERVATION_TTL_MS });
  const memory = createMemoryStore({ pool, embedder: embedderFrom(config) });
  const secrets = [config.OPENAI_API_KEY, config.ANTHROPIC_API_KEY, config.LOCAL_SLM_API_KEY].filter(
    (s): s is string => Boolean(s),
  );
  const workspaces = createWorkspaces({ root: config.WORKSPACE_ROOT });
  const registry = createToolRegistry([
    ...builtinTools({
      workspaces,
      httpRequest: createHttpRequester({
        allowedHosts: config.HTTP_TOOL_ALLOWED_HOSTS,
        allowedCidrs: config.HTTP_TOOL_ALLOWED_CIDRS,
        maxResponseBytes: config.HTTP_TOOL_MAX_RESPONSE_BYTES,
        timeoutMs: config.HTTP_TOOL_TIMEOUT_MS,
        secrets,
      }),
      memory,
    }),
    ...tools,
  ]);
  const activities = {
    ...createSlmActivities({
      providers: createSlmProviders(config),
      budgets,
      rateLimiter: createRateLimiter({ redis, limits: config.SLM_RATE_LIMITS }),
      logger,
      prices: { ...DEFAULT_PRICES, ...prices },
      invocation,
    }),
    ...createToolActivities({ registry, executionLog: createExecutionLog({ pool }), logger, invocation }),
    ...createRunInputActivities({ workspaces, pool, logger }),
    ...createMemoryActivities({ store: memory, invocation }),
    ...createSnapshotActivities({ store: createSnapshotStore({ pool }) }),
    ...createBudgetActivities({ budgets }),
  };
  // Not an activity: the worker hands it to the gate (`prechecks.executeTool`).
  return { activities, toolRegistry: registry, toolPrecheck: createToolPrecheck({ registry }) };
}

/**
 * The activity functions of {@link createExecution}, for callers that do not need the registry.
 * Workflows call them through `proxyActivities<ExecutionActivities>` with the presets in
 * `activities/shared/activity-options.ts`.
 */
export function createExecutionActivities(deps: ExecutionActivitiesDeps) {
  return createExecution(deps).activities;
}

export type ExecutionActivities = ReturnType<typeof createExecutionActivities>;

export { ERROR_TYPES, NON_RETRYABLE_ERROR_TYPES, type ErrorType } from './shared/error-types';
export {
  RUN_INPUTS_ACTIVITY_OPTIONS,
  SLM_ACTIVITY_OPTIONS,
  STORE_ACTIVITY_OPTIONS,
  TOOL_ACTIVITY_OPTIONS,
  SLM_RETRY_POLICY,
  STORE_RETRY_POLICY,
  TOOL_RETRY_POLICY,
} from './shared/activity-options';
export type { SlmCompleteInput, SlmCompleteResult, SlmActivities } from './slm/slm-activities';
export type {
  ExecuteToolInput,
  ExecuteToolResult,
  ListToolsInput,
  ListToolsResult,
  ToolActivities,
  ToolCallPrecheck,
} from './tools/tool-activities';
export {
  LOAD_SNAPSHOTS_ACTIVITY,
  type LoadMemorySnapshotsResult,
  type LoadedSnapshot,
  type SnapshotActivities,
} from './memory/snapshot-activities';
export {
  createSnapshotStore,
  MAX_SNAPSHOT_BYTES,
  SnapshotConflictError,
  SnapshotInputError,
  type MemorySnapshot,
  type SnapshotStore,
  type SnapshotSummary,
} from './memory/snapshot-store';
export {
  RUN_INPUTS_ACTIVITY,
  RUN_INPUTS_TOOL,
  runInputsToolCall,
  type RunInputActivities,
  type WriteRunInputsInput,
  type WriteRunInputsResult,
  type WrittenRunInput,
} from './tools/run-inputs';
export type {
  MemoryRecallInput,
  MemoryRecallResult,
  MemoryRememberInput,
  MemoryActivities,
} from './memory/memory-activities';
export type { GetBudgetInput, BudgetActivities } from './budget/budget-activities';
export type { BudgetState } from './budget/budget-store';
export type { ModelPreferences, ModelPurpose, ModelRef, ModelChoice } from './slm/model-choice';
export type {
  SlmMessage,
  SlmRequest,
  SlmResponse,
  SlmToolCall,
  SlmToolDefinition,
  SlmUsage,
  SlmStopReason,
} from './slm/types';
export type { ToolInfo, ToolRegistry, ToolRisk, ToolSideEffect } from './tools/registry';
export { BUILTIN_TOOL_IDS, WORKFLOW_HANDLED_TOOL_IDS, type BuiltinToolId } from './shared/tool-ids';
