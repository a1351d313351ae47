import { z } from 'zod';
import { clamp01, defineFeature } from './types';

const unit = z.number().min(0).max(1);

/** φ = 1 when the tool belongs to the capsule's tool suite, `outOfScope` when it does not. */
export const capsuleScope = defineFeature({
  kind: 'capsuleScope',
  description:
    "Tool is in the capsule's tool suite → 1, outside it → `outOfScope`; no tool → `noTool`; no capsule → `noCapsule`.",
  params: z.strictObject({
    outOfScope: unit.default(0),
    noTool: unit.default(1),
    noCapsule: unit.default(0.5),
  }),
  maxPhi: (p) => Math.max(1, p.noTool, p.noCapsule, p.outOfScope),
  create: (p) => (x) => {
    if (x.tool === null) return clamp01(p.noTool);
    if (x.capsule === null) return clamp01(p.noCapsule);
    return x.capsule.toolSuite.includes(x.tool.id) ? 1 : clamp01(p.outOfScope);
  },
});
