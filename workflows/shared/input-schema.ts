import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { WORKFLOW_ERROR_TYPES } from './errors';
import {
  INPUT_FILE_REF_HINT,
  INPUT_FILE_REF_PATTERN,
  inputFilesIssues,
  inputPathProblem,
  MAX_INPUT_FILES,
  type RunInputFile,
} from './run-inputs';
import { TRIGGER_KINDS, type CapsuleWorkflowInput } from './types';

/**
 * Validation of `capsuleWorkflow` input at the edge (Web UI start form, CLI, gateway, schedules).
 * Pure: runs inside the workflow, so a bad input fails the run at once with a non-retryable
 * `InvalidWorkflowInput` that names each field, instead of failing workflow tasks forever.
 */

/** `id@range`; the id as capsules spell it, the range checked by the load activity (semver). */
const CAPSULE_REF = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*@\S.*$/;

/**
 * Built on first use, not at module load: with a reused V8 context every workflow run loads this
 * module again, and a persona run never parses capsule input (see `workflows/ARCHITECTURE.md`).
 */
let capsuleWorkflowInputSchema: z.ZodType | undefined;

function buildCapsuleWorkflowInputSchema(): z.ZodType {
  const jsonValue: z.ZodType<unknown> = z.lazy(() =>
    z.union([
      z.string(),
      z.number(),
      z.boolean(),
      z.null(),
      z.array(jsonValue),
      z.record(z.string(), jsonValue),
    ]),
  );

  const limitsSchema = z.strictObject({
    tokens: z.number().int().min(0).nullable(),
    usd: z.number().min(0).nullable(),
    depth: z.number().int().min(0),
    maxChildren: z.number().int().min(0),
    maxConcurrency: z.number().int().min(1),
    tools: z.array(z.string().min(1)),
  });

  const inputFile = z
    .strictObject(
      {
        path: z.string({ message: 'expected a path relative to the run workspace' }).superRefine((p, ctx) => {
          const problem = inputPathProblem(p);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        }),
        content: z.string({ message: 'expected the file content as a UTF-8 string' }).optional(),
        ref: z
          .string()
          .regex(INPUT_FILE_REF_PATTERN, { message: `expected ${INPUT_FILE_REF_HINT}` })
          .optional(),
      },
      {
        error: (issue) =>
          issue.code === 'unrecognized_keys'
            ? `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}; an input file has "path" and "content" or "ref"`
            : 'expected { "path", "content" } or { "path", "ref" }',
      },
    )
    .superRefine((file, ctx) => {
      if ((file.content === undefined) === (file.ref === undefined)) {
        ctx.addIssue({
          code: 'custom',
          message: `expected exactly one of "content" (inline UTF-8 text) or "ref" (${INPUT_FILE_REF_HINT})`,
        });
      }
    });

  const inputFiles = z
    .array(inputFile, { message: 'expected a list of { "path", "content" } or { "path", "ref" }' })
    .max(MAX_INPUT_FILES, { message: `expected at most ${MAX_INPUT_FILES} input files` })
    .superRefine((files, ctx) => {
      for (const issue of inputFilesIssues(files as RunInputFile[])) {
        ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
      }
    });

  return z.strictObject({
    capsule: z.union(
      [
        z.string().regex(CAPSULE_REF, {
          message: 'expected "id@range", e.g. "product.launch@^1", or an inline capsule object',
        }),
        z.record(z.string(), jsonValue),
      ],
      { message: 'expected "id@range", e.g. "product.launch@^1", or an inline capsule object' },
    ),
    params: z.record(z.string(), jsonValue).optional(),
    files: inputFiles.optional(),
    trigger: z
      .strictObject({
        kind: z.enum(TRIGGER_KINDS, { message: `expected one of ${TRIGGER_KINDS.join(', ')}` }),
        by: z.string().min(1).optional(),
        scheduleId: z.string().min(1).optional(),
        event: z
          .strictObject({
            type: z.string().min(1),
            id: z.string().min(1).optional(),
            data: z.record(z.string(), jsonValue).optional(),
          })
          .optional(),
        requestId: z.string().min(1).optional(),
      })
      .optional(),
    tenant: z.string().min(1, { message: 'expected a tenant id, or leave "tenant" out' }).optional(),
    plan: z.record(z.string(), jsonValue).optional(),
    parent: z
      .strictObject({
        workflowId: z.string().min(1),
        runId: z.string().min(1).optional(),
        stepId: z.string().min(1),
        depth: z.number().int().min(0),
        rootWorkflowId: z.string().min(1).optional(),
      })
      .optional(),
    limits: limitsSchema.optional(),
    taint: z.array(z.string().min(1)).optional(),
  });
}

/** One problem in a workflow input, located by its field path (`trigger.kind`). */
export interface InputIssue {
  path: string;
  message: string;
}

/**
 * Parses a `capsuleWorkflow` input. Throws a non-retryable `ApplicationFailure` of type
 * `InvalidWorkflowInput` whose message lists every bad field and whose details carry the issues.
 */
export function parseCapsuleWorkflowInput(value: unknown): CapsuleWorkflowInput {
  capsuleWorkflowInputSchema ??= buildCapsuleWorkflowInputSchema();
  const parsed = capsuleWorkflowInputSchema.safeParse(value);
  if (parsed.success) return parsed.data as CapsuleWorkflowInput;
  const issues: InputIssue[] = parsed.error.issues.map((issue) => ({
    path: issue.path.length > 0 ? issue.path.map(String).join('.') : '(input)',
    message: issue.message,
  }));
  throw ApplicationFailure.create({
    type: WORKFLOW_ERROR_TYPES.InvalidWorkflowInput,
    message: `Invalid capsuleWorkflow input: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    nonRetryable: true,
    details: [issues],
  });
}
