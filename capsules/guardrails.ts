import { z } from 'zod';
import { toolId } from './primitives';

/**
 * Capsule guardrails (cross-team contract; the constitution's action descriptor carries them).
 * They can only tighten what the constitution allows: a higher θ floor, more denied tools, fewer
 * hosts, a lower spend cap, more approvals. Sandbox-safe.
 */
export const guardrailsSchema = z.strictObject({
  /** θ floor in [0,1]: the gate uses max(constitution θ, minThreshold). */
  minThreshold: z.number().min(0).max(1).optional(),
  /** Tool ids no step of this capsule may call. */
  deniedTools: z.array(toolId).optional(),
  /** Hosts `http.request` may reach; absent means the constitution's default. */
  allowedHosts: z
    .array(
      z.string().regex(/^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d+)?$/i, {
        message: 'expected a host name such as "api.github.com" or "*.example.com"',
      }),
    )
    .optional(),
  /** Hard spend cap in USD for a run. */
  maxSpendUsd: z.number().positive().optional(),
  /** Tool ids that need a human approval before each call. */
  requireApprovalFor: z.array(toolId).optional(),
});

export type Guardrails = z.infer<typeof guardrailsSchema>;

/**
 * Combines an outer (parent capsule) and inner (child capsule) guardrail set so the result is at
 * least as strict as both: the higher floor, the union of denials and approvals, the intersection
 * of hosts, the lower spend cap.
 */
export function tightenGuardrails(outer: Guardrails, inner: Guardrails): Guardrails {
  const result: Guardrails = {};
  const threshold = maxDefined(outer.minThreshold, inner.minThreshold);
  if (threshold !== undefined) result.minThreshold = threshold;
  const denied = union(outer.deniedTools, inner.deniedTools);
  if (denied) result.deniedTools = denied;
  if (outer.allowedHosts && inner.allowedHosts) {
    const inner_ = new Set(inner.allowedHosts);
    result.allowedHosts = outer.allowedHosts.filter((h) => inner_.has(h)).sort();
  } else if (outer.allowedHosts ?? inner.allowedHosts) {
    result.allowedHosts = [...(outer.allowedHosts ?? inner.allowedHosts)!].sort();
  }
  const spend = minDefined(outer.maxSpendUsd, inner.maxSpendUsd);
  if (spend !== undefined) result.maxSpendUsd = spend;
  const approvals = union(outer.requireApprovalFor, inner.requireApprovalFor);
  if (approvals) result.requireApprovalFor = approvals;
  return result;
}

function union(a?: string[], b?: string[]): string[] | undefined {
  if (!a && !b) return undefined;
  return [...new Set([...(a ?? []), ...(b ?? [])])].sort();
}

function maxDefined(a?: number, b?: number): number | undefined {
  if (a === undefined) return b;
  return b === undefined ? a : Math.max(a, b);
}

function minDefined(a?: number, b?: number): number | undefined {
  if (a === undefined) return b;
  return b === undefined ? a : Math.min(a, b);
}
