import { z } from 'zod';
import { hostAllowed } from '../signals';
import { clamp01, defineFeature, type FeatureContext } from './types';
import type { ActionDescriptor } from '../descriptor';

/**
 * Whether every host is allowed: by the constitution's allowlist, the capsule's
 * `guardrails.allowedHosts` (narrowing) and any tenant-overlay allowlist (narrowing).
 */
export function allHostsAllowed(
  x: ActionDescriptor,
  allowlist: readonly string[],
  ctx: FeatureContext,
): boolean {
  const guard = x.capsule?.guardrails.allowedHosts;
  for (const host of x.args.hosts) {
    if (!hostAllowed(host, allowlist)) return false;
    if (guard !== undefined && !hostAllowed(host, guard)) return false;
    for (const list of ctx.hostAllowlists) if (!hostAllowed(host, list)) return false;
  }
  return true;
}

/** φ = 1 when the action contacts no host outside the allowlists, `outside` otherwise. */
export const egress = defineFeature({
  kind: 'egress',
  description:
    'Egress to hosts outside the allowlist (exact or *.domain), narrowed by capsule guardrails and tenant overlays: all allowed or no hosts → 1, otherwise `outside`.',
  params: z.strictObject({
    allowlist: z.array(z.string().min(1)).default([]),
    outside: z.number().min(0).max(1).default(0),
  }),
  maxPhi: () => 1,
  create: (p) => (x, ctx) =>
    x.args.hosts.length === 0 || allHostsAllowed(x, p.allowlist, ctx) ? 1 : clamp01(p.outside),
});
