import { z } from 'zod';
import { clamp01, defineFeature } from './types';

const unit = z.number().min(0).max(1);

/** φ from the tool's declared risk: low-risk tools score high. */
export const toolRisk = defineFeature({
  kind: 'toolRisk',
  description:
    'Declared risk of the tool (low/medium/high/critical) mapped to a score; activities without a tool get `noTool`.',
  params: z.strictObject({
    scores: z
      .strictObject({ low: unit, medium: unit, high: unit, critical: unit })
      .default({ low: 1, medium: 0.7, high: 0.35, critical: 0 }),
    noTool: unit.default(1),
  }),
  maxPhi: (p) => Math.max(p.scores.low, p.scores.medium, p.scores.high, p.scores.critical, p.noTool),
  create: (p) => (x) => clamp01(x.tool === null ? p.noTool : p.scores[x.tool.risk]),
});
