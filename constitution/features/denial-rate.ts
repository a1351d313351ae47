import { z } from 'zod';
import { clamp01, defineFeature } from './types';

/**
 * φ = 1 − (recent denials / recent decisions) of the run: an agent that keeps hitting the gate
 * is probing or lost, and its next actions deserve less benefit of the doubt.
 */
export const denialRate = defineFeature({
  kind: 'denialRate',
  description:
    "1 − the run's recent denial rate (denials / decisions in the window); fewer than `minWindow` decisions → 1.",
  params: z.strictObject({ minWindow: z.number().int().min(1).default(3) }),
  maxPhi: () => 1,
  create: (p) => (x) => {
    const { recent, window } = x.denials;
    if (window < p.minWindow) return 1;
    return clamp01(1 - recent / window);
  },
});
