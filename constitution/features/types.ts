import type { z } from 'zod';
import type { ActionDescriptor } from '../descriptor';

/**
 * What a feature may know besides the descriptor: tightening that comes from the constitution's
 * tenant overlay rather than from the action itself.
 */
export interface FeatureContext {
  /** Extra host allowlists (from a tenant overlay); a host must match every one of them. */
  readonly hostAllowlists: readonly (readonly string[])[];
}

/** φ: maps an action descriptor to [0, 1]; higher means safer / more acceptable. */
export type Phi = (x: ActionDescriptor, ctx: FeatureContext) => number;

/**
 * A built-in feature function of the catalog. `params` validates (and fills defaults for) the
 * parameters a constitution gives it; `create` binds them once at compile time so per-call
 * evaluation does no parsing.
 */
export interface FeatureDefinition<P = unknown> {
  readonly kind: string;
  readonly description: string;
  readonly params: z.ZodType<P>;
  /** The largest φ these parameters allow: used to check that the threshold is reachable. */
  maxPhi(params: P): number;
  create(params: P): Phi;
}

/** Clamps to [0, 1]; NaN (e.g. 0/0) counts as the safe-side minimum 0. */
export function clamp01(value: number): number {
  if (!(value > 0)) return 0;
  return value > 1 ? 1 : value;
}

/** Helper that keeps each feature's params type attached to its definition. */
export function defineFeature<P>(definition: FeatureDefinition<P>): FeatureDefinition<P> {
  return definition;
}
