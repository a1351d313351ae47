import { z } from 'zod';
import { guardrailsSchema } from './guardrails';
import {
  cronExpression,
  documentId,
  duration,
  identifier,
  modelRef,
  reference,
  semverVersion,
  stepId,
  timeZone,
  toolId,
} from './primitives';

/**
 * The Task Capsule document: a portable, versioned description of a job. Written in YAML (or
 * JSON), validated here, compiled into a plan by `compiler.ts`. Sandbox-safe.
 */

/** JSON-Schema subset for a step's expected output (enough to check `{{ steps.x.output.y }}`). */
export interface OutputSchema {
  type: 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean';
  description?: string;
  properties?: Record<string, OutputSchema>;
  required?: string[];
  items?: OutputSchema;
  enum?: Array<string | number>;
}

export const outputSchema: z.ZodType<OutputSchema> = z.lazy(() =>
  z
    .strictObject({
      type: z.enum(['object', 'array', 'string', 'number', 'integer', 'boolean']),
      description: z.string().optional(),
      properties: z.record(z.string(), outputSchema).optional(),
      required: z.array(z.string()).optional(),
      items: outputSchema.optional(),
      enum: z.array(z.union([z.string(), z.number()])).optional(),
    })
    .superRefine((s, ctx) => {
      for (const [i, name] of (s.required ?? []).entries()) {
        if (!s.properties || !(name in s.properties)) {
          ctx.addIssue({
            code: 'custom',
            path: ['required', i],
            message: `required property "${name}" is not declared under properties`,
          });
        }
      }
      if (s.type === 'array' && !s.items) {
        ctx.addIssue({ code: 'custom', path: ['type'], message: 'an array output needs "items"' });
      }
    }),
);

export const PARAM_TYPES = [
  'string',
  'text',
  'integer',
  'number',
  'boolean',
  'enum',
  'list',
  'date',
] as const;

/** One typed input; enough for a UI to render a form field. */
export const paramSpecSchema = z
  .strictObject({
    type: z.enum(PARAM_TYPES),
    title: z.string().optional(),
    description: z.string().optional(),
    /** Without a default the parameter is required. */
    default: z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]).optional(),
    /** Allowed values of an `enum` parameter. */
    values: z.array(z.string().min(1)).min(1).optional(),
    min: z.number().optional(),
    max: z.number().optional(),
    /** Regular expression a `string` must match. */
    pattern: z.string().optional(),
    /** Hidden from forms, e.g. values only triggers fill in. */
    secret: z.boolean().optional(),
  })
  .superRefine((p, ctx) => {
    if (p.type === 'enum' && !p.values) {
      ctx.addIssue({ code: 'custom', path: ['values'], message: 'an enum parameter needs "values"' });
    }
    if (p.type !== 'enum' && p.values) {
      ctx.addIssue({
        code: 'custom',
        path: ['values'],
        message: `"values" only applies to enum parameters, not ${p.type}`,
      });
    }
    if (p.pattern !== undefined) {
      try {
        new RegExp(p.pattern);
      } catch {
        ctx.addIssue({ code: 'custom', path: ['pattern'], message: 'not a valid regular expression' });
      }
    }
    if (p.min !== undefined && p.max !== undefined && p.min > p.max) {
      ctx.addIssue({ code: 'custom', path: ['max'], message: `max (${p.max}) is below min (${p.min})` });
    }
    if (p.default !== undefined) {
      const problem = paramValueProblem(p, p.default);
      if (problem) ctx.addIssue({ code: 'custom', path: ['default'], message: `default ${problem}` });
    }
  });

export type ParamSpec = z.infer<typeof paramSpecSchema>;
export type ParamValue = string | number | boolean | string[];

/** Why a value does not fit a parameter spec, or undefined when it does. */
export function paramValueProblem(spec: ParamSpec, value: unknown): string | undefined {
  switch (spec.type) {
    case 'string':
    case 'text':
      if (typeof value !== 'string') return `must be a string, got ${typeof value}`;
      if (spec.pattern !== undefined && !new RegExp(spec.pattern).test(value))
        return `must match /${spec.pattern}/`;
      if (spec.min !== undefined && value.length < spec.min)
        return `must have at least ${spec.min} characters`;
      if (spec.max !== undefined && value.length > spec.max)
        return `must have at most ${spec.max} characters`;
      return undefined;
    case 'integer':
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value))
        return `must be a number, got ${typeof value}`;
      if (spec.type === 'integer' && !Number.isInteger(value)) return 'must be a whole number';
      if (spec.min !== undefined && value < spec.min) return `must be at least ${spec.min}`;
      if (spec.max !== undefined && value > spec.max) return `must be at most ${spec.max}`;
      return undefined;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `must be true or false, got ${typeof value}`;
    case 'enum':
      return typeof value === 'string' && spec.values?.includes(value)
        ? undefined
        : `must be one of ${(spec.values ?? []).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'list':
      return Array.isArray(value) && value.every((v) => typeof v === 'string')
        ? undefined
        : 'must be a list of strings';
    case 'date':
      return typeof value === 'string' &&
        /^\d{4}-\d{2}-\d{2}$/.test(value) &&
        !Number.isNaN(Date.parse(value))
        ? undefined
        : 'must be a date such as "2026-11-23"';
  }
}

/** Binding of a persona template to a local alias, with capsule-specific overrides. */
export const personaBindingSchema = z.preprocess(
  (v) => (typeof v === 'string' ? { ref: v } : v),
  z.strictObject({
    ref: reference,
    overrides: z
      .strictObject({
        temperature: z.number().min(0).max(2).optional(),
        model: z
          .strictObject({
            planning: modelRef.optional(),
            implementation: modelRef.optional(),
            review: modelRef.optional(),
          })
          .optional(),
        traits: z.array(z.string().min(1)).optional(),
        /** Appended to the template's system prompt. */
        systemPromptAppend: z.string().optional(),
        /** Narrows the template's tool allowlist (never widens it). */
        tools: z.array(toolId).optional(),
        maxTurns: z.number().int().min(1).max(500).optional(),
      })
      .optional(),
  }),
);

export type PersonaBinding = z.infer<typeof personaBindingSchema>;

export const memoryRefSchema = z.strictObject({
  /** Name used in templates: `{{ memory.<id> }}`. */
  id: identifier,
  /** Snapshot reference, e.g. `snapshot://analytics/kpi-definitions@2026-11-01`. */
  ref: z.string().regex(/^[a-z][a-z0-9+.-]*:\/\/\S+$/, {
    message: 'expected a snapshot URI such as "snapshot://team/kpis@2026-11-01"',
  }),
  description: z.string().optional(),
  /** Fail the run when the snapshot cannot be loaded. @default true */
  required: z.boolean().default(true),
});

export type MemoryRef = z.infer<typeof memoryRefSchema>;

export const budgetSchema = z.strictObject({
  /** Token ceiling for the whole run (all steps, nested capsules included). */
  tokens: z.number().int().positive(),
  costUsd: z.number().positive(),
  wallTime: duration,
  /** Forecasts above this need a human `approve` before the run starts. */
  approvalLimitUsd: z.number().min(0).optional(),
});

export type Budget = z.infer<typeof budgetSchema>;

const templateBindings = z.record(
  identifier,
  z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]),
);

export const triggerSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('manual') }),
  z
    .strictObject({
      type: z.literal('schedule'),
      cron: cronExpression.optional(),
      interval: duration.optional(),
      timezone: timeZone.default('UTC'),
      /** Parameter values for scheduled runs. */
      params: templateBindings.optional(),
    })
    .superRefine((t, ctx) => {
      if ((t.cron === undefined) === (t.interval === undefined)) {
        ctx.addIssue({ code: 'custom', message: 'a schedule needs exactly one of "cron" or "interval"' });
      }
    }),
  z.strictObject({
    type: z.literal('event'),
    /** Event envelope type, e.g. `github.issue.opened`. */
    event: z.string().regex(/^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)+$/, {
      message: 'expected a dotted event type such as "github.issue.opened"',
    }),
    /** CEL expression over the event envelope; the run starts only when it is true. */
    filter: z.string().min(1).optional(),
    /** Parameter values, templates over `{{ event.* }}`. */
    params: templateBindings.optional(),
  }),
]);

export type Trigger = z.infer<typeof triggerSchema>;

export const STEP_TASKS = [
  'plan',
  'research',
  'analysis',
  'writing',
  'codegen',
  'design',
  'review',
  'summary',
  'triage',
] as const;
export type StepTask = (typeof STEP_TASKS)[number];

export const reviewSchema = z.strictObject({
  /** What the reviewer is asked to check. */
  prompt: z.string().min(1),
  /** How long to wait for a `review` signal. */
  timeout: duration.default('24h'),
  onTimeout: z.enum(['reject', 'approve']).default('reject'),
  /** Roles or groups allowed to review. */
  reviewers: z.array(z.string().min(1)).optional(),
});

export const stepSchema = z
  .strictObject({
    id: stepId,
    title: z.string().optional(),
    /** Persona alias from `personas` (persona step). */
    persona: identifier.optional(),
    /** Nested capsule `id@range` (composite step). */
    capsule: reference.optional(),
    /** Parameter bindings for a nested capsule; values may use templates. */
    params: templateBindings.optional(),
    /** Instruction template: `{{ params.x }}`, `{{ steps.<id>.output }}`, `{{ memory.<id> }}`. */
    instruction: z.string().min(1).optional(),
    /** Kind of work; selects the forecast baseline. */
    task: z.enum(STEP_TASKS).default('analysis'),
    /** Which of the persona's models runs the step. @default 'implementation' */
    modelTier: z.enum(['planning', 'implementation', 'review']).default('implementation'),
    tools: z.array(toolId).default([]),
    /** Expected calls per tool for the forecast; tools not listed count once. */
    expectedToolCalls: z.record(toolId, z.number().int().min(0)).optional(),
    dependsOn: z.array(stepId).default([]),
    /** Human review checkpoint after the step. */
    review: reviewSchema.optional(),
    /** Expected output shape. */
    output: outputSchema.optional(),
    maxTurns: z.number().int().min(1).max(500).optional(),
  })
  .superRefine((s, ctx) => {
    if (s.persona === undefined && s.capsule === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'a step needs either "persona" (and an instruction) or "capsule" (a nested capsule)',
      });
    }
    if (s.persona !== undefined && s.capsule !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['capsule'],
        message: 'a step has either "persona" or "capsule", not both',
      });
    }
    if (s.persona !== undefined && s.instruction === undefined) {
      ctx.addIssue({ code: 'custom', path: ['persona'], message: 'a persona step needs an "instruction"' });
    }
    if (s.capsule !== undefined && s.persona === undefined) {
      if (s.instruction !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['instruction'],
          message: 'a capsule step takes "params", not an instruction',
        });
      }
      if (s.tools.length > 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['tools'],
          message: 'a capsule step uses the nested capsule\'s tools; remove "tools"',
        });
      }
    }
    if (s.persona !== undefined && s.params !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['params'], message: '"params" only applies to capsule steps' });
    }
    for (const tool of Object.keys(s.expectedToolCalls ?? {})) {
      if (!s.tools.includes(tool)) {
        ctx.addIssue({
          code: 'custom',
          path: ['expectedToolCalls', tool],
          message: `"${tool}" is not in this step's tools`,
        });
      }
    }
  });

export type StepInput = z.input<typeof stepSchema>;
export type Step = z.infer<typeof stepSchema>;

export const CAPSULE_TYPES = ['atomic', 'composite', 'utility'] as const;

export const capsuleSchema = z
  .strictObject({
    id: documentId,
    version: semverVersion,
    title: z.string().min(1),
    description: z.string().min(1),
    /** atomic: one job of persona steps; composite: orchestrates other capsules; utility: a small reusable helper. */
    type: z.enum(CAPSULE_TYPES),
    /** Why the job exists: the outcome it serves. */
    intent: z.string().min(1),
    deliverable: z.strictObject({
      description: z.string().min(1),
      format: z.enum(['markdown', 'json', 'html', 'files', 'text']),
      /** Workspace paths the run writes, e.g. `reports/weekly.md`. */
      artifacts: z.array(z.string().min(1)).optional(),
    }),
    owner: z.string().optional(),
    tags: z.array(z.string().min(1)).optional(),
    params: z.record(identifier, paramSpecSchema).default({}),
    personas: z.record(identifier, personaBindingSchema).default({}),
    /** Tool suite: every tool a step uses must be listed here. */
    tools: z.array(toolId).default([]),
    memory: z.array(memoryRefSchema).default([]),
    guardrails: guardrailsSchema.default({}),
    budget: budgetSchema,
    triggers: z
      .array(triggerSchema)
      .min(1)
      .default([{ type: 'manual' }]),
    steps: z.array(stepSchema).min(1, { message: 'a capsule needs at least one step' }),
  })
  .superRefine((c, ctx) => {
    const capsuleSteps = c.steps.filter((s) => s.capsule !== undefined).length;
    if (c.type === 'composite' && capsuleSteps === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['type'],
        message: 'a composite capsule needs at least one step with "capsule"; use type atomic otherwise',
      });
    }
    if (c.type !== 'composite') {
      c.steps.forEach((s, i) => {
        if (s.capsule !== undefined && s.persona === undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['steps', i, 'capsule'],
            message: `only composite capsules nest other capsules; this one is ${c.type}`,
          });
        }
      });
    }
    if (c.guardrails.maxSpendUsd !== undefined && c.budget.approvalLimitUsd !== undefined) {
      if (c.budget.approvalLimitUsd > c.guardrails.maxSpendUsd) {
        ctx.addIssue({
          code: 'custom',
          path: ['budget', 'approvalLimitUsd'],
          message: `approval limit ${c.budget.approvalLimitUsd} exceeds the guardrail spend cap ${c.guardrails.maxSpendUsd}`,
        });
      }
    }
  });

export type CapsuleInput = z.input<typeof capsuleSchema>;
export type Capsule = z.infer<typeof capsuleSchema>;
