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
import { WORKFLOW_ERROR_TYPES } from '../workflows/shared/errors';
import { parseInput } from './shared/failures';

/**
 * `loadCapsulePlan`: resolves a capsule (`id@range` from the registry, or an inline document),
 * compiles it against the registry, binds the run's parameters and forecasts tokens and cost.
 * Parsing and the forecast's tokenizer are not sandbox-safe, so this runs as an activity and
 * hands the workflow plain JSON. Reads only: retrying is always safe.
 */

export interface LoadCapsulePlanInput {
  /** `"id@range"` or an inline capsule document. */
  capsule: string | Record<string, unknown>;
  params?: Record<string, unknown>;
  /** Forecast coefficient scope learned for this tenant; `global` when absent. */
  tenant?: string;
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
});

export interface CapsuleLoaderDeps {
  registry: Pick<CapsuleRegistry, 'show' | 'asResolver' | 'loadCoefficients'>;
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
export function createCapsuleLoaderActivities({ registry }: CapsuleLoaderDeps) {
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
      const { capsule, params, tenant } = parseInput(inputSchema, input, 'loadCapsulePlan');
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
