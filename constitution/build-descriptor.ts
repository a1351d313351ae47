import type { ActionDescriptor, Guardrails, ToolRisk } from './descriptor';
import { canonicalHash } from './hash';
import { extractSignals } from './signals';

/** What the gate knows about the tool, from the tool registry. */
export interface ToolInfo {
  id: string;
  risk: ToolRisk;
  category: string;
  /** Declared side effects; when omitted, inferred from the category and arguments. */
  writes?: boolean;
}

/** Raw facts about one activity, gathered by the worker's gate. */
export interface BuildActionDescriptorInput {
  activityType: string;
  tenant: string;
  tool?: ToolInfo | null;
  /** Raw tool arguments: scanned for signals and digested, never copied into the descriptor. */
  args?: unknown;
  /**
   * Whether URLs in the arguments are hosts the action contacts. False for content handed to a
   * model: a prompt that quotes a URL sends nothing there (the provider a model call reaches is
   * chosen by the operator's configuration, not by the prompt). PII is scanned either way.
   * @default true
   */
  argsNameContacts?: boolean;
  persona?: { id: string; trust: number } | null;
  capsule?: { id: string; toolSuite: readonly string[]; guardrails?: Guardrails } | null;
  budget?: { spentUsd: number; limitUsd: number | null };
  trainingMode?: boolean;
  taint?: readonly string[];
  denials?: { recent: number; window: number };
}

/** Categories whose tools change state even when the arguments do not say so. */
const WRITE_CATEGORIES = new Set([
  'write',
  'filesystem-write',
  'memory-write',
  'email',
  'messaging',
  'upload',
]);
/** HTTP methods that are not safe in the RFC 9110 sense. */
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Built-in tools with side effects (cross-team contract tool ids). */
const WRITE_TOOLS = new Set(['workspace.write', 'memory.remember', 'delegate']);

/**
 * Builds x(a) from raw activity facts: extracts PII kinds and hosts from the arguments, digests
 * them (`sha256:` of their canonical JSON), decides read vs write, and fills neutral defaults for
 * what the caller does not know. The raw arguments never enter the descriptor (it is audited).
 */
export function buildActionDescriptor(input: BuildActionDescriptorInput): ActionDescriptor {
  const args = input.args ?? null;
  const signals = extractSignals(args);
  const tool = input.tool ?? null;
  return {
    activityType: input.activityType,
    tool: tool === null ? null : { id: tool.id, risk: tool.risk, category: tool.category },
    args: {
      digest: digestArgs(args),
      pii: signals.pii,
      piiCount: signals.piiCount,
      hosts: input.argsNameContacts === false ? [] : signals.hosts,
      write: isWrite(tool, args),
    },
    persona: input.persona ? { id: input.persona.id, trust: input.persona.trust } : null,
    capsule: input.capsule
      ? {
          id: input.capsule.id,
          toolSuite: [...input.capsule.toolSuite],
          guardrails: { ...input.capsule.guardrails },
        }
      : null,
    tenant: input.tenant,
    budget: input.budget ? { ...input.budget } : { spentUsd: 0, limitUsd: null },
    trainingMode: input.trainingMode ?? false,
    taint: [...new Set(input.taint ?? [])].sort(),
    denials: input.denials ? { ...input.denials } : { recent: 0, window: 0 },
  };
}

function digestArgs(args: unknown): string {
  try {
    return canonicalHash(args);
  } catch {
    // Arguments JSON cannot represent (NaN, bigint): digest their string form instead.
    return canonicalHash(String(args));
  }
}

function isWrite(tool: ToolInfo | null, args: unknown): boolean {
  if (tool === null) return false;
  if (tool.writes !== undefined) return tool.writes;
  if (WRITE_TOOLS.has(tool.id) || WRITE_CATEGORIES.has(tool.category)) return true;
  if (args !== null && typeof args === 'object' && !Array.isArray(args)) {
    const method = (args as Record<string, unknown>).method;
    if (typeof method === 'string') return WRITE_METHODS.has(method.toUpperCase());
  }
  return false;
}
