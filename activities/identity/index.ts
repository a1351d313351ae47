import type { Pool } from 'pg';
import {
  AuthError,
  createConfiguredVerifier,
  type JwtVerifier,
  type VerificationKeys,
} from '../../services/auth';

import { createIdentityAudit } from './identity-audit';
import { identityModeFrom, type IdentityMode } from './identity-mode';
import { createVerifyApprovalActivities } from './verify-approval';

export { createIdentityAudit, type IdentityAudit, type IdentityEvent } from './identity-audit';
export { identityModeFrom, type IdentityMode } from './identity-mode';
export { authorizeRunStart, type StartCaller } from './run-start-policy';
export {
  APPROVE_CAPABILITY,
  createVerifyApprovalActivities,
  type ApprovalVerdict,
  type VerifyApprovalActivities,
  type VerifyApprovalInput,
} from './verify-approval';

interface IdentityConfig {
  IDENTITY_MODE?: IdentityMode | undefined;
  TEMPORAL_AUTH?: string | undefined;
  NODE_ENV?: string | undefined;
  AUTH_JWKS?: string | undefined;
  AUTH_PUBLIC_KEY?: string | undefined;
  AUTH_ISSUER: string;
  AUTH_AUDIENCE: string;
}

const noKeys = () =>
  Promise.reject(
    new AuthError(
      401,
      'unknown_key',
      'no keys are configured to verify it (set AUTH_JWKS or AUTH_PUBLIC_KEY)',
    ),
  );
/** A verifier that refuses every token: no keys are configured to check approvers' tokens with. */
const NO_KEYS: JwtVerifier = { verify: noKeys, authorize: noKeys };

/**
 * The worker's identity pieces: its mode, the audit writer, and the approval verifier over the
 * configured keys (AUTH_PUBLIC_KEY / AUTH_JWKS, else `fallbackKeys`: outside production, the
 * local development key that signs local tokens).
 */
export function createIdentityActivities(
  { config, pool }: { config: IdentityConfig; pool: Pool },
  fallbackKeys?: VerificationKeys,
) {
  const mode = identityModeFrom(config);
  const audit = createIdentityAudit(pool);
  const configured = Boolean(config.AUTH_JWKS || config.AUTH_PUBLIC_KEY || fallbackKeys);
  const verifier = configured ? createConfiguredVerifier(config, fallbackKeys) : NO_KEYS;
  return { mode, audit, activities: createVerifyApprovalActivities({ mode, verifier, pool, audit }) };
}
