import { z } from 'zod';
import { clamp01, defineFeature } from './types';

const unit = z.number().min(0).max(1);

/** φ = 1 − the largest penalty among the PII kinds found in the arguments. */
export const dataSensitivity = defineFeature({
  kind: 'dataSensitivity',
  description: 'Personal data in the arguments: 1 − max penalty of the PII kinds detected (none found → 1).',
  params: z.strictObject({
    penalties: z
      .strictObject({ email: unit, phone: unit, creditCard: unit, iban: unit, ssn: unit })
      .default({ email: 0.4, phone: 0.4, creditCard: 1, iban: 0.9, ssn: 1 }),
  }),
  maxPhi: () => 1,
  create: (p) => (x) => {
    let worst = 0;
    for (const kind of x.args.pii) if (p.penalties[kind] > worst) worst = p.penalties[kind];
    return clamp01(1 - worst);
  },
});
