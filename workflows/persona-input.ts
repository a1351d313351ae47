import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { outputSchema } from '../capsules/capsule-schema';
import { WORKFLOW_ERROR_TYPES } from './shared/errors';
import type { InputIssue } from './shared/input-schema';
import type { PersonaWorkflowInput } from './shared/types';

/**
 * Validation of `personaWorkflow` input: capsule runs build it, but the CLI and gateway may start
 * a persona directly, so a bad field fails the run at once with a non-retryable
 * `InvalidWorkflowInput` naming it, instead of failing workflow tasks. The continue-as-new carry
 * is written by the workflow itself and only checked for shape. Pure; sandbox-safe.
 */

const id = z.string().min(1);
const nullableAmount = z.number().min(0).nullable();

const personaInputSchema = z.strictObject({
  rootWorkflowId: id,
  parentWorkflowId: id,
  stepId: id,
  tenant: id,
  capsule: z.strictObject({ id, version: id }),
  persona: z.strictObject({
    alias: id,
    id,
    version: id,
    systemPrompt: z.string(),
    model: z
      .string()
      .regex(/^[^/\s]+\/\S+$/, { message: 'expected "provider/model", e.g. "openai/gpt-4o-mini"' }),
    temperature: z.number().min(0).max(2),
    trustLevel: z.number().min(0).max(1),
    maxTurns: z.number().int().min(1),
  }),
  instruction: z.string().min(1, { message: 'the persona needs an instruction' }),
  output: outputSchema.optional(),
  guardrails: z.strictObject({
    minThreshold: z.number().min(0).max(1).optional(),
    deniedTools: z.array(id).optional(),
    allowedHosts: z.array(id).optional(),
    maxSpendUsd: z.number().min(0).optional(),
    requireApprovalFor: z.array(id).optional(),
  }),
  limits: z.strictObject({
    tokens: nullableAmount,
    usd: nullableAmount,
    depth: z.number().int().min(0),
    maxChildren: z.number().int().min(0),
    maxConcurrency: z.number().int().min(1),
    tools: z.array(id),
  }),
  depth: z.number().int().min(0),
  taint: z.array(z.string()),
  trainingMode: z.boolean().optional(),
  contextTokens: z.number().int().min(256, { message: 'expected at least 256 tokens of context' }).optional(),
  carry: z
    .looseObject({
      turns: z.number().int().min(0),
      messages: z.array(
        z.looseObject({ role: z.enum(['system', 'user', 'assistant', 'tool']), content: z.string() }),
      ),
    })
    .optional(),
});

/** Parses a `personaWorkflow` input; throws a non-retryable `InvalidWorkflowInput` listing every bad field. */
export function parsePersonaWorkflowInput(value: unknown): PersonaWorkflowInput {
  const parsed = personaInputSchema.safeParse(value);
  if (parsed.success) return value as PersonaWorkflowInput;
  const issues: InputIssue[] = parsed.error.issues.map((issue) => ({
    path: issue.path.length > 0 ? issue.path.map(String).join('.') : '(input)',
    message: issue.message,
  }));
  throw ApplicationFailure.create({
    type: WORKFLOW_ERROR_TYPES.InvalidWorkflowInput,
    message: `Invalid personaWorkflow input: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    nonRetryable: true,
    details: [issues],
  });
}
