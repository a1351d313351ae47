import { z } from 'zod';

/** Identifies the document format; bumped only for incompatible changes of this schema. */
export const CONSTITUTION_API_VERSION = 'somagent.constitution/v1';

/**
 * Highest constitution version: versions are stored in a Postgres `integer` column
 * (`constitution_versions.version`), so a larger one could be signed but never published.
 */
export const MAX_CONSTITUTION_VERSION = 2_147_483_647;

const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

const unitInterval = (what: string) =>
  z
    .number({ message: `expected ${what} as a number in [0, 1]` })
    .min(0, { message: `${what} must be in [0, 1]` })
    .max(1, { message: `${what} must be in [0, 1]` });

/** One weighted feature: a named use of a catalog function φ with its parameters. */
export const featureSpecSchema = z.strictObject({
  /** Unique within the constitution; appears in every decision's contributions. */
  name: z.string().regex(/^[a-z][A-Za-z0-9_]*$/, { message: 'expected a camelCase name such as "toolRisk"' }),
  /** Catalog function (see FEATURE_KINDS). */
  kind: z.string().min(1, { message: 'expected a catalog feature kind such as "toolRisk"' }),
  weight: z
    .number({ message: 'expected a weight as a finite number ≥ 0' })
    .refine(Number.isFinite, { message: 'weight must be finite' })
    .refine((w) => w >= 0, { message: 'weight must be ≥ 0' }),
  /** Parameters of the catalog function; omitted ones take the catalog defaults. */
  params: z.record(z.string(), z.unknown()).optional(),
  description: z.string().optional(),
});
export type FeatureSpec = z.infer<typeof featureSpecSchema>;

/** A hard rule: a CEL expression over the descriptor that, when true, denies or forces review. */
export const ruleSpecSchema = z.strictObject({
  id: z
    .string()
    .regex(/^[a-z][a-z0-9_.-]*$/, { message: 'expected a lower-case id such as "no-secrets-out"' }),
  description: z.string().min(1, { message: 'say why the rule exists; it is shown with every decision' }),
  /** CEL over the descriptor's fields (activityType, tool, args, persona, capsule, tenant, ...). */
  when: z
    .string()
    .min(1, { message: 'expected a CEL expression, e.g. "tool != null && tool.risk == \\"critical\\""' }),
  effect: z.enum(['deny', 'review'], { message: 'expected "deny" or "review"' }),
});
export type RuleSpec = z.infer<typeof ruleSpecSchema>;

/**
 * Per-tenant tightening. Overlays can raise thresholds, add rules, deny tools, require approval
 * and narrow egress — never loosen (validation rejects a lower threshold).
 */
export const overlaySchema = z.strictObject({
  threshold: unitInterval('threshold').optional(),
  reviewThreshold: unitInterval('reviewThreshold').optional(),
  rules: z.array(ruleSpecSchema).optional(),
  deniedTools: z.array(z.string().min(1)).optional(),
  requireApprovalFor: z.array(z.string().min(1)).optional(),
  /** Every host must also match this list (exact or `*.domain`). */
  allowedHosts: z.array(z.string().min(1)).optional(),
});
export type Overlay = z.infer<typeof overlaySchema>;

/**
 * A constitution version. Scores are S = Σ wᵢ·φᵢ with every φ in [0, 1] (higher = safer) and the
 * weights summing to 1, so S, θ and the capsule guardrail `minThreshold` share the [0, 1] scale:
 * S ≥ θ → allow; θ_review ≤ S < θ → review (needs human approval); S < θ_review → deny.
 */
export const constitutionSchema = z.strictObject({
  apiVersion: z.literal(CONSTITUTION_API_VERSION, { message: `expected "${CONSTITUTION_API_VERSION}"` }),
  /** Monotonic version number; a published version must exceed the current one. */
  version: z
    .number({ message: 'expected a positive integer version' })
    .int({ message: 'expected a positive integer version' })
    .positive({ message: 'expected a positive integer version' })
    .max(MAX_CONSTITUTION_VERSION, {
      message: `expected a version from 1 to ${MAX_CONSTITUTION_VERSION} (the stored column is a Postgres integer)`,
    }),
  /** Human-facing semver label, e.g. "1.4.0". */
  label: z.string().regex(SEMVER, { message: 'expected a semver label such as "1.0.0"' }),
  features: z.array(featureSpecSchema).min(1, { message: 'expected at least one feature' }),
  threshold: unitInterval('threshold'),
  /** Lower edge of the review band [θ_review, θ); omitted means no band. */
  reviewThreshold: unitInterval('reviewThreshold').optional(),
  rules: z.array(ruleSpecSchema).optional(),
  /** Tenant id → overlay. */
  overlays: z.record(z.string().min(1), overlaySchema).optional(),
  metadata: z.strictObject({
    name: z.string().min(1, { message: 'expected a name for this constitution' }),
    description: z.string().optional(),
    owner: z.string().optional(),
    createdAt: z.iso.datetime({ offset: true, message: 'expected an ISO-8601 timestamp' }).optional(),
    labels: z.record(z.string(), z.string()).optional(),
  }),
});

/** A constitution document as authored, signed and stored. */
export type ConstitutionDocument = z.infer<typeof constitutionSchema>;
