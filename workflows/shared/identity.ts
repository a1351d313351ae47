/**
 * Who started a run: the verified caller, carried in a Temporal header on the start request so it
 * lives beside the input without being part of it. The platform's client interceptor sets it from
 * the caller it authenticated (gateway, CLI, triggers, schedules); a devserver in auth mode checks
 * it against the bearer token of the start call (or stamps it from the token when absent); the
 * workflow copies it to its children and the run's first activity checks the input against it.
 * Pure: safe in the workflow sandbox, in the worker and in clients.
 */

/** Temporal header key (cross-team contract). */
export const IDENTITY_HEADER = 'somagent-identity';

/** The caller a run acts for. */
export interface RunIdentity {
  /** `sub` of the caller's verified token. */
  subject: string;
  /** The caller's one tenant; absent for a platform operator without a tenant claim. */
  tenant?: string;
  /** Capabilities from the token's `scope` claim, e.g. `capsule:run`, `capsule:inline`. */
  capabilities: string[];
}

/** Capabilities that decide what a start may do (cross-team contract). */
export const IDENTITY_CAPABILITIES = {
  /** Pass a capsule document inline instead of a registry reference. */
  inline: 'capsule:inline',
  /** A caller without a tenant claim may start runs for any tenant (platform operators). */
  anyTenant: 'tenant:any',
  /** A trusted service (gateway, triggers) may assert the identity of a caller it verified. */
  assert: 'identity:assert',
} as const;

/** The id a review token's `approval` claim names: one per run and step. */
export const reviewApprovalId = (workflowId: string, stepId: string) => `${workflowId}:review:${stepId}`;

/**
 * Reads an identity from a decoded header value; undefined when it is not one (the caller of
 * this reports a malformed header: a check must never silently fall back to free input).
 */
export function asRunIdentity(value: unknown): RunIdentity | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { subject, tenant, capabilities } = value as Record<string, unknown>;
  if (typeof subject !== 'string' || subject.length === 0) return undefined;
  if (tenant !== undefined && (typeof tenant !== 'string' || tenant.length === 0)) return undefined;
  if (!Array.isArray(capabilities) || !capabilities.every((c) => typeof c === 'string')) return undefined;
  return { subject, ...(tenant !== undefined ? { tenant } : {}), capabilities: [...capabilities] };
}
