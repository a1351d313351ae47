import { z } from 'zod';
import { contentHash } from './hash';
import { documentId, modelRef, reference, semverVersion, toolId } from './primitives';

/**
 * Trust the constitution gate gives a persona whose template sets no `trust` (the middle of the
 * scale: neither a vetted nor a distrusted agent).
 */
export const DEFAULT_PERSONA_TRUST = 0.5;

/**
 * Persona template (persona package): who an agent is and how it works. Versioned like capsules;
 * its content hash pins exactly what a run used. Sandbox-safe.
 */
export const personaSchema = z.strictObject({
  id: documentId,
  version: semverVersion,
  name: z.string().min(1),
  description: z.string().min(1),
  /** Short behavioural traits, rendered into the system prompt. */
  traits: z.array(z.string().min(1)).default([]),
  systemPrompt: z.string().min(20, { message: 'a system prompt needs at least a sentence (20 characters)' }),
  /**
   * Model preference: a cheaper model for planning and review, a stronger one for the work itself.
   * `review` defaults to `planning`.
   */
  model: z.strictObject({
    planning: modelRef,
    implementation: modelRef,
    review: modelRef.optional(),
  }),
  temperature: z.number().min(0).max(2).default(0.2),
  /** Tools this persona may ever use; a capsule can only narrow it. */
  tools: z.array(toolId).default([]),
  /** Skill packages (`id@range`) the persona loads. */
  skills: z.array(reference).default([]),
  /** Agent-loop turn limit. */
  maxTurns: z.number().int().min(1).max(500).default(20),
  /**
   * How far the constitution gate trusts this persona, in [0, 1] (the `personaTrust` feature of
   * the score). Optional so templates without it keep their content hash;
   * @default DEFAULT_PERSONA_TRUST (0.5)
   */
  trust: z
    .number()
    .min(0, { message: 'expected a trust level from 0 to 1' })
    .max(1, { message: 'expected a trust level from 0 to 1' })
    .optional(),
});

export type PersonaInput = z.input<typeof personaSchema>;
export type Persona = z.infer<typeof personaSchema>;

/** Content hash of a validated persona (formatting and key order do not matter). */
export function personaHash(persona: Persona): string {
  return contentHash(persona);
}
