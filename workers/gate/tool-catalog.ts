import type { ToolRisk } from '../../constitution';

/**
 * What the gate needs from the tool registry about one call. The registry lives with the
 * activities (`activities/tools/registry.ts`); the worker injects a lookup over it, so the gate
 * depends on this small shape only.
 */
export interface GateToolInfo {
  id: string;
  risk: ToolRisk;
  /** e.g. `filesystem`, `network`, `memory`; the constitution treats outbound categories as egress. */
  category: string;
  /** Whether this call changes state (per call: `http.request` writes only for POST). */
  writes: boolean;
  /** The tool sends data off the machine. Not part of x(a) yet: hosts and category carry egress. */
  egress?: boolean;
}

/**
 * Looks a tool up for one call; `args` are the tool's own arguments. Undefined means the tool is
 * unknown, which the gate denies (fail closed).
 */
export type ToolCatalog = (toolId: string, args: unknown) => GateToolInfo | undefined;

/** A tool call found in an activity's input: which tool, and the arguments it acts on. */
export interface ToolCall {
  toolId: string;
  args: unknown;
}

/**
 * Finds the tool call in an activity's single argument. Returns null when the activity is a tool
 * call whose input has no usable tool id (the gate fails closed on it).
 */
export type ToolCallExtractor = (input: unknown) => ToolCall | null;

/**
 * Activities that are tool calls, by activity type. `executeTool({ toolId, arguments })` runs any
 * registry tool; the memory activities are the built-in `memory.*` tools, so they are judged with
 * the same registry metadata (risk, write) as when a persona calls them as tools.
 */
export const DEFAULT_TOOL_ACTIVITIES: Readonly<Record<string, ToolCallExtractor>> = Object.freeze({
  executeTool: (input: unknown) => {
    const fields = asRecord(input);
    const toolId = fields?.toolId;
    return typeof toolId === 'string' && toolId.length > 0
      ? { toolId, args: fields?.arguments ?? null }
      : null;
  },
  memoryRecall: (input: unknown) => ({ toolId: 'memory.recall', args: input ?? null }),
  memoryRemember: (input: unknown) => ({ toolId: 'memory.remember', args: input ?? null }),
});

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/**
 * The parts of the tool registry (`activities/tools/registry.ts`, `ToolRegistry`) the gate reads,
 * typed structurally so the gate does not import the activities.
 */
export interface ToolRegistryView {
  list(
    ids?: readonly string[],
  ): ReadonlyArray<{ id: string; risk: ToolRisk; category: string; egress: boolean }>;
  /** Per call: unknown tools and arguments that fail validation count as writes. */
  writes(id: string, args: unknown): boolean;
}

/** A {@link ToolCatalog} over the worker's tool registry. */
export function toolCatalogFromRegistry(registry: ToolRegistryView): ToolCatalog {
  return (toolId, args) => {
    const tool = registry.list([toolId])[0];
    if (tool === undefined || tool.id !== toolId) return undefined;
    return {
      id: tool.id,
      risk: tool.risk,
      category: tool.category,
      writes: registry.writes(toolId, args),
      egress: tool.egress,
    };
  };
}
