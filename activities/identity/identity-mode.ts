/**
 * How strictly a worker holds runs to their callers' identities.
 * - `strict`: every root run needs a verified identity header, and every approval or review a
 *   signed token; the default when Temporal auth is on or in production.
 * - `local`: a run without an identity header keeps the tenant its input names and an unsigned
 *   approval counts (recorded as unverified): for a machine where whoever reaches Temporal is
 *   the developer. An identity or token that is present is checked all the same.
 */
export type IdentityMode = 'strict' | 'local';

/** The mode from settings: IDENTITY_MODE when set, else strict with TEMPORAL_AUTH=jwt or in production. */
export function identityModeFrom(config: {
  IDENTITY_MODE?: IdentityMode | undefined;
  TEMPORAL_AUTH?: string | undefined;
  NODE_ENV?: string | undefined;
}): IdentityMode {
  if (config.IDENTITY_MODE) return config.IDENTITY_MODE;
  return config.TEMPORAL_AUTH === 'jwt' || config.NODE_ENV === 'production' ? 'strict' : 'local';
}
