import { z } from 'zod';
import { DescriptorValidationError, toIssues } from './errors';

/** Declared risk of a tool, from the tool registry. */
export const TOOL_RISKS = ['low', 'medium', 'high', 'critical'] as const;
export type ToolRisk = (typeof TOOL_RISKS)[number];

/** Kinds of personal data the argument scanner recognises (see signals.ts). */
export const PII_KINDS = ['email', 'phone', 'creditCard', 'iban', 'ssn'] as const;
export type PiiKind = (typeof PII_KINDS)[number];

/**
 * Capsule guardrails (cross-team contract): they may only tighten what the constitution allows.
 */
export const guardrailsSchema = z.strictObject({
  /** θ floor in [0, 1]: the effective threshold is max(θ, minThreshold). */
  minThreshold: z.number().min(0).max(1).optional(),
  /** Tools this capsule may never call: a hard deny. */
  deniedTools: z.array(z.string().min(1)).optional(),
  /** Hosts (exact, or `*.example.com`) the capsule may reach; narrows the constitution's egress allowlist. */
  allowedHosts: z.array(z.string().min(1)).optional(),
  /** Spend ceiling in USD: the budget limit used for scoring is min(limit, maxSpendUsd). */
  maxSpendUsd: z.number().min(0).optional(),
  /** Tools that always need a human approval (decision at least `review`). */
  requireApprovalFor: z.array(z.string().min(1)).optional(),
});
export type Guardrails = z.infer<typeof guardrailsSchema>;

/**
 * The action descriptor x(a): everything the constitution may look at when it scores one
 * activity. Built by the worker's gate from the activity input (see build-descriptor.ts) and
 * stored with every `gate.decision` audit event, so a decision can be replayed under another
 * constitution (what-if).
 */
export const actionDescriptorSchema = z.strictObject({
  /** Temporal activity type, e.g. `runTool`, `callSlm`, `recallMemory`. */
  activityType: z.string().min(1, { message: 'expected the activity type, e.g. "runTool"' }),
  /** The tool the activity runs, or null for activities that are not tool calls (SLM, memory). */
  tool: z
    .strictObject({
      id: z.string().min(1, { message: 'expected a tool id such as "http.request"' }),
      risk: z.enum(TOOL_RISKS, { message: `expected one of ${TOOL_RISKS.join(', ')}` }),
      category: z.string().min(1, { message: 'expected a category such as "network" or "filesystem"' }),
    })
    .nullable(),
  /** Signals extracted from the arguments; the arguments themselves never enter the descriptor. */
  args: z.strictObject({
    /** `sha256:<hex>` of the canonical JSON of the arguments. */
    digest: z.string(),
    /** PII kinds found in the arguments (each at most once, sorted). */
    pii: z.array(z.enum(PII_KINDS, { message: `expected one of ${PII_KINDS.join(', ')}` })),
    /** Total PII matches. */
    piiCount: z.number().int().min(0),
    /** Hosts the action would contact (lower-case, sorted, unique). */
    hosts: z.array(z.string().min(1)),
    /** True when the action changes state (writes a file, POSTs, remembers). */
    write: z.boolean(),
  }),
  /** The persona instance acting, with its trust level in [0, 1]; null for platform activities. */
  persona: z
    .strictObject({
      id: z.string().min(1),
      trust: z.number().min(0, { message: 'trust is in [0, 1]' }).max(1, { message: 'trust is in [0, 1]' }),
    })
    .nullable(),
  /** The capsule the run executes, its tool suite and guardrails; null outside a capsule. */
  capsule: z
    .strictObject({
      id: z.string().min(1),
      toolSuite: z.array(z.string().min(1)),
      guardrails: guardrailsSchema,
    })
    .nullable(),
  tenant: z.string().min(1, { message: 'expected a tenant id' }),
  /** Spend so far and the limit in USD; limitUsd null means no limit. */
  budget: z.strictObject({
    spentUsd: z.number().min(0),
    limitUsd: z.number().min(0).nullable(),
  }),
  /** True while an admin training session is capturing this run. */
  trainingMode: z.boolean(),
  /** Data classes the run has already read (taint labels), e.g. `pii`, `secret`, `financial`. */
  taint: z.array(z.string().min(1)),
  /** Gate decisions of this run in its recent window, and how many of them were denials. */
  denials: z.strictObject({
    recent: z.number().int().min(0),
    window: z.number().int().min(0),
  }),
});

/** x(a): see {@link actionDescriptorSchema}. */
export type ActionDescriptor = z.infer<typeof actionDescriptorSchema>;

/** Validates a descriptor coming from outside (HTTP body, audit row); names each bad field. */
export function parseActionDescriptor(value: unknown): ActionDescriptor {
  const parsed = actionDescriptorSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new DescriptorValidationError(toIssues(parsed.error.issues));
}
