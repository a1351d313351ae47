import { z } from 'zod';
import { clamp01, defineFeature } from './types';

const unit = z.number().min(0).max(1);

/** φ = `read` for read-only actions, `write` for actions with side effects. */
export const writeSideEffects = defineFeature({
  kind: 'writeSideEffects',
  description: 'Side effects: read-only actions score `read`, state-changing ones `write`.',
  params: z.strictObject({ read: unit.default(1), write: unit.default(0.5) }),
  maxPhi: (p) => Math.max(p.read, p.write),
  create: (p) => (x) => clamp01(x.args.write ? p.write : p.read),
});
