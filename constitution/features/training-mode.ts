import { z } from 'zod';
import { clamp01, defineFeature } from './types';

const unit = z.number().min(0).max(1);

/**
 * φ by run mode: during an admin training session a human supervises every step, so actions
 * score `training`; unsupervised production runs score `production`.
 */
export const trainingMode = defineFeature({
  kind: 'trainingMode',
  description:
    'Supervision: actions in an admin training session score `training`, unsupervised ones `production`.',
  params: z.strictObject({ training: unit.default(1), production: unit.default(0.8) }),
  maxPhi: (p) => Math.max(p.training, p.production),
  create: (p) => (x) => clamp01(x.trainingMode ? p.training : p.production),
});
