import { z } from 'zod';
import {
  actionDescriptorSchema,
  guardrailsSchema,
  MAX_CONSTITUTION_VERSION,
  TOOL_RISKS,
} from '../../constitution';
import { RequestValidationError } from './errors';

/** POST /v1/constitution/versions */
export const publishBodySchema = z.strictObject({
  jws: z.string().min(1, { message: 'expected the signed constitution as a compact JWS' }),
});

/** Raw activity facts, for callers that want the service to build x(a) (see buildActionDescriptor). */
export const actionInputSchema = z.strictObject({
  activityType: z.string().min(1),
  tenant: z.string().min(1),
  tool: z
    .strictObject({
      id: z.string().min(1),
      risk: z.enum(TOOL_RISKS),
      category: z.string().min(1),
      writes: z.boolean().optional(),
    })
    .nullable()
    .optional(),
  args: z.unknown().optional(),
  persona: z
    .strictObject({ id: z.string().min(1), trust: z.number().min(0).max(1) })
    .nullable()
    .optional(),
  capsule: z
    .strictObject({
      id: z.string().min(1),
      toolSuite: z.array(z.string()),
      guardrails: guardrailsSchema.optional(),
    })
    .nullable()
    .optional(),
  budget: z.strictObject({ spentUsd: z.number().min(0), limitUsd: z.number().min(0).nullable() }).optional(),
  trainingMode: z.boolean().optional(),
  taint: z.array(z.string().min(1)).optional(),
  denials: z.strictObject({ recent: z.number().int().min(0), window: z.number().int().min(0) }).optional(),
});

/** POST /v1/evaluate: either a full descriptor x(a) or raw facts to build it from. */
export const evaluateDescriptorBodySchema = z.strictObject({ descriptor: actionDescriptorSchema });
export const evaluateActionBodySchema = z.strictObject({ action: actionInputSchema });

/** Picks the evaluate body form by its key, so errors name fields of the form the caller meant. */
export function parseEvaluateBody(
  body: unknown,
): { descriptor: z.output<typeof actionDescriptorSchema> } | { action: z.output<typeof actionInputSchema> } {
  if (body !== null && typeof body === 'object' && 'action' in body) {
    return parseRequest(evaluateActionBodySchema, body, 'body');
  }
  if (body !== null && typeof body === 'object' && 'descriptor' in body) {
    return parseRequest(evaluateDescriptorBodySchema, body, 'body');
  }
  throw new RequestValidationError([
    {
      path: 'body',
      message: 'expected {"descriptor": x(a)} or {"action": {activityType, tenant, tool?, args?, ...}}',
    },
  ]);
}

/** POST /v1/whatif */
export const whatIfBodySchema = z.strictObject({
  /** A candidate document (JSON object) or a signed one (compact JWS string). */
  candidate: z.union([z.string().min(1), z.record(z.string(), z.unknown())], {
    message: 'expected a constitution document object or a compact JWS string',
  }),
  /** 30m, 12h, 7d, 2w or an ISO timestamp. @default 7d */
  since: z.string().min(1).default('7d'),
  until: z.iso.datetime({ offset: true }).optional(),
  tenant: z.string().min(1).optional(),
  limit: z.number().int().min(1).max(1_000_000).optional(),
  maxFlips: z.number().int().min(0).max(100_000).optional(),
});

/**
 * A whole number in [min, max] written in decimal digits, as path and query parameters arrive
 * (strings). Stricter than `z.coerce.number()`, which takes "0x10", "1e3" and " 7 "; the upper
 * bound keeps values Postgres would reject (a 500) out of the query.
 */
function wholeNumberParam(min: number, max: number, what: string) {
  const message = `expected ${what}: a whole number from ${min} to ${max}`;
  return z
    .string({ message })
    .regex(/^\d{1,16}$/, { message })
    .transform(Number)
    .pipe(z.number().min(min, { message }).max(max, { message }));
}

/** A constitution version: `constitution_versions.version` is a Postgres integer. */
const versionParam = (what: string) => wholeNumberParam(1, MAX_CONSTITUTION_VERSION, what);

/** GET /v1/constitution/versions */
export const historyQuerySchema = z.strictObject({
  limit: wholeNumberParam(1, 500, 'a page size').default(50),
  before: versionParam('a constitution version (the page ends below it)').optional(),
});

/** GET /v1/constitution/versions/:version */
export const versionParamsSchema = z.strictObject({ version: versionParam('a constitution version') });

/** Parses a request part; throws {@link RequestValidationError} naming each bad field under `where`. */
export function parseRequest<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new RequestValidationError(
    parsed.error.issues.map((issue) => ({
      path: [where, ...issue.path].map(String).join('.'),
      message: issue.message,
    })),
  );
}
