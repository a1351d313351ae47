import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import {
  bindParams,
  compileCapsule,
  forecastPlan,
  formatDiagnostic,
  validateCapsuleObject,
  type CapsulePlan,
  type CapsuleRegistry,
  type Diagnostic,
  type PlanForecast,
} from '../capsules';
import type { ParamValue } from '../capsules/capsule-schema';
import { DEFAULT_TENANT } from '../workflows/shared/constants';
import { WORKFLOW_ERROR_TYPES } from '../workflows/shared/errors';
import type { IdentityAudit } from './identity/identity-audit';
import type { IdentityMode } from './identity/identity-mode';
import { authorizeRunStart, type StartCaller } from './identity/run-start-policy';
import { parseInput } from './shared/failures';

/**
 * `loadCapsulePlan`: resolves a capsule (`id@range` from the registry, or an inline document),
 * compiles it against the registry, binds the run's parameters and forecasts tokens and cost.
 * Parsing and the forecast's tokenizer are not sandbox-safe, so this runs as an activity and
 * hands the workflow plain JSON. A root run first has its caller checked against the request
 * (tenant, inline capsules; `run-start-policy.ts`), and the outcome is audited. Writes only that
 * audit event, once per run: retrying is always safe.
 */

export interface LoadCapsulePlanInput {
  /** `"id@range"` or an inline capsule document. */
  capsule: string | Record<string, unknown>;
  params?: Record<string, unknown>;
  /** Forecast coefficient scope learned for this tenant; `global` when absent. */
  tenant?: string;
  /**
   * A root run's start to authorize: who started it (the identity header) and what its input
   * asked for. Absent for runs whose workflow code predates identities.
   */
  start?: {
    caller: StartCaller;
    requestedTenant?: string;
    workflowId: string;
    runId: string;
  };
}

export interface LoadCapsulePlanResult {
  plan: CapsulePlan;
  forecast: PlanForecast;
  /** The run's parameters with defaults applied. */
  params: Record<string, ParamValue>;
  /** Compiler warnings, formatted (`file:line:col path message`). */
  warnings: string[];
}

const inputSchema = z.strictObject({
  capsule: z.union([z.string().min(3), z.record(z.string(), z.unknown())], {
    message: 'expected "id@range" (e.g. "product.launch@^1") or an inline capsule object',
  }),
  params: z.record(z.string(), z.unknown()).optional(),
  tenant: z.string().min(1).optional(),
  start: z
    .strictObject({
      caller: z.union([
        z.strictObject({ kind: z.literal('none') }),
        z.strictObject({
          kind: z.literal('identity'),
          identity: z.strictObject({
            subject: z.string().min(1),
            tenant: z.string().min(1).optional(),
            capabilities: z.array(z.string()),
          }),
        }),
        z.strictObject({ kind: z.literal('malformed'), reason: z.string() }),
      ]),
      requestedTenant: z.string().min(1).optional(),
      workflowId: z.string().min(1),
      runId: z.string().min(1),
    })
    .optional(),
});

export interface CapsuleLoaderDeps {
  registry: Pick<CapsuleRegistry, 'show' | 'asResolver' | 'loadCoefficients'>;
  /** How runs are held to their callers, and where the outcome is audited. @default local, unaudited */
  identity?: { mode: IdentityMode; audit?: IdentityAudit };
}

function invalidPlan(message: string, diagnostics: readonly Diagnostic[]): ApplicationFailure {
  const errors = diagnostics.filter((d) => d.severity === 'error');
  return ApplicationFailure.create({
    type: WORKFLOW_ERROR_TYPES.InvalidPlan,
    message: `${message}: ${errors.map(formatDiagnostic).join('; ')}`,
    nonRetryable: true,
    details: [{ diagnostics: errors.map(formatDiagnostic) }],
  });
}

/** Builds the `loadCapsulePlan` activity over a capsule registry. */
export function createCapsuleLoaderActivities({ registry, identity }: CapsuleLoaderDeps) {
  const mode = identity?.mode ?? 'local';

  /** Checks a root run's caller; audits the outcome (allowed or refused) before answering. */
  async function authorize(start: NonNullable<LoadCapsulePlanInput['start']>, capsule: unknown) {
    const inline = typeof capsule !== 'string';
    const capsuleName = inline ? 'inline' : capsule;
    const facts = {
      workflowId: start.workflowId,
      runId: start.runId,
      capsule: capsuleName,
      inline,
      ...(start.caller.kind === 'identity' ? { caller: start.caller.identity.subject } : {}),
    };
    const requestedTenant = start.requestedTenant;
    try {
      const allowed = authorizeRunStart(mode, {
        caller: start.caller,
        inline,
        ...(requestedTenant !== undefined ? { requestedTenant } : {}),
      });
      await identity?.audit?.({
        type: 'run.authorized',
        tenant: allowed.tenant ?? DEFAULT_TENANT,
        workflowId: start.workflowId,
        factKey: `${start.workflowId}\n${start.runId}`,
        data: { ...facts, subject: allowed.subject, verified: allowed.subject !== null, mode },
      });
    } catch (err) {
      if (err instanceof ApplicationFailure) {
        await identity?.audit?.({
          type: 'run.refused',
          tenant:
            requestedTenant ??
            (start.caller.kind === 'identity' ? start.caller.identity.tenant : undefined) ??
            DEFAULT_TENANT,
          workflowId: start.workflowId,
          factKey: `${start.workflowId}\n${start.runId}`,
          data: { ...facts, reason: err.message, mode },
        });
      }
      throw err;
    }
  }

  async function resolveDocument(capsule: string | Record<string, unknown>): Promise<unknown> {
    if (typeof capsule !== 'string') return capsule;
    const record = await registry.show('capsule', capsule);
    if (!record) {
      throw ApplicationFailure.create({
        type: WORKFLOW_ERROR_TYPES.InvalidPlan,
        message: `capsule: no published capsule matches "${capsule}"; publish it with \`somagent capsule publish\` or fix the id/range`,
        nonRetryable: true,
      });
    }
    return record.document;
  }

  return {
    loadCapsulePlan: async (input: LoadCapsulePlanInput): Promise<LoadCapsulePlanResult> => {
      const { capsule, params, tenant, start } = parseInput(inputSchema, input, 'loadCapsulePlan');
      if (start) await authorize(start, capsule);
      const document = await resolveDocument(capsule);
      const source = typeof capsule === 'string' ? `registry:${capsule}` : 'inline';
      const parsed = validateCapsuleObject(document, source);
      if (!parsed.value) throw invalidPlan(`capsule ${source} is invalid`, parsed.diagnostics);
      const compiled = await compileCapsule(parsed.value, {
        resolver: registry.asResolver(),
        source: parsed.source,
      });
      if (!compiled.plan) throw invalidPlan(`capsule ${source} does not compile`, compiled.diagnostics);
      const plan = compiled.plan;
      const bound = bindParams(plan.params, params);
      if (bound.problems.length > 0) {
        throw ApplicationFailure.create({
          type: WORKFLOW_ERROR_TYPES.InvalidWorkflowInput,
          message: `params: ${bound.problems.map((p) => `params.${p.param}: ${p.message}`).join('; ')}`,
          nonRetryable: true,
          details: [{ problems: bound.problems }],
        });
      }
      const coefficients = await registry.loadCoefficients(tenant ?? 'global');
      const forecast = forecastPlan(plan, { coefficients });
      return {
        plan,
        forecast,
        params: bound.values,
        warnings: compiled.diagnostics.filter((d) => d.severity === 'warning').map(formatDiagnostic),
      };
    },
  };
}

export type CapsuleLoaderActivities = ReturnType<typeof createCapsuleLoaderActivities>;
