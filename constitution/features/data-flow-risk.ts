import { z } from 'zod';
import { clamp01, defineFeature } from './types';

const unit = z.number().min(0).max(1);

/**
 * Trajectory feature: the run has already read data of a sensitive class (its taint labels) and
 * this action sends data out (contacts a host, or is an outbound tool category). That pattern —
 * read secrets, then talk to the world — is how exfiltration looks, even when each step alone is
 * harmless.
 */
export const dataFlowRisk = defineFeature({
  kind: 'dataFlowRisk',
  description:
    'Tainted run sending data out: sensitive taint + egress → `exfiltration`; sensitive taint, no egress → `taintedLocal`; clean → 1.',
  params: z.strictObject({
    sensitiveClasses: z
      .array(z.string().min(1))
      .default(['pii', 'secret', 'credentials', 'financial', 'health', 'confidential']),
    /** Tool categories that move data out of the platform even without a URL in the arguments. */
    egressCategories: z.array(z.string().min(1)).default(['network', 'email', 'messaging', 'upload']),
    /** PII in this action's own arguments taints it as class `pii`. */
    includeCurrentPii: z.boolean().default(true),
    exfiltration: unit.default(0),
    taintedLocal: unit.default(0.8),
  }),
  maxPhi: () => 1,
  create: (p) => {
    const sensitive = new Set(p.sensitiveClasses);
    const egressCategories = new Set(p.egressCategories);
    const piiSensitive = p.includeCurrentPii && sensitive.has('pii');
    return (x) => {
      let tainted = piiSensitive && x.args.pii.length > 0;
      if (!tainted) for (const label of x.taint) if (sensitive.has(label)) tainted = true;
      if (!tainted) return 1;
      const sendsOut = x.args.hosts.length > 0 || (x.tool !== null && egressCategories.has(x.tool.category));
      return clamp01(sendsOut ? p.exfiltration : p.taintedLocal);
    };
  },
});
