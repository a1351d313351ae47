import { z } from 'zod';
import { clamp01, defineFeature } from './types';

/** φ = the acting persona's trust level; platform activities without a persona get `noPersona`. */
export const personaTrust = defineFeature({
  kind: 'personaTrust',
  description: "The acting persona's trust level in [0, 1]; activities without a persona get `noPersona`.",
  params: z.strictObject({ noPersona: z.number().min(0).max(1).default(1) }),
  maxPhi: () => 1,
  create: (p) => (x) => clamp01(x.persona === null ? p.noPersona : x.persona.trust),
});
