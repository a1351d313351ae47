import { budgetHeadroom } from './budget-headroom';
import { capsuleScope } from './capsule-scope';
import { dataFlowRisk } from './data-flow-risk';
import { dataSensitivity } from './data-sensitivity';
import { denialRate } from './denial-rate';
import { egress } from './egress';
import { personaTrust } from './persona-trust';
import { toolRisk } from './tool-risk';
import { trainingMode } from './training-mode';
import type { FeatureDefinition } from './types';
import { writeSideEffects } from './write-side-effects';

/**
 * The built-in feature functions a constitution may use, by `kind`. Every φ maps a descriptor to
 * [0, 1] with the convention **higher = safer**, so S = Σ wᵢ·φᵢ ≥ θ allows.
 */
export const FEATURE_CATALOG: Readonly<Record<string, FeatureDefinition<never>>> = Object.freeze(
  Object.fromEntries(
    [
      toolRisk,
      dataSensitivity,
      egress,
      writeSideEffects,
      budgetHeadroom,
      personaTrust,
      capsuleScope,
      denialRate,
      trainingMode,
      dataFlowRisk,
    ].map((f) => [f.kind, f as unknown as FeatureDefinition<never>]),
  ),
);

/** Names of every built-in feature function. */
export const FEATURE_KINDS = Object.keys(FEATURE_CATALOG);

/** The catalog entry for `kind`, or undefined when no such feature exists. */
export function featureDefinition(kind: string): FeatureDefinition<unknown> | undefined {
  return Object.prototype.hasOwnProperty.call(FEATURE_CATALOG, kind) ? FEATURE_CATALOG[kind] : undefined;
}
