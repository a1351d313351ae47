/**
 * The constitution: a signed, versioned policy that gates every activity. An action descriptor
 * x(a) is scored S = Σ wᵢ·φᵢ(x) with every φ in [0, 1] (higher = safer) and weights summing to 1;
 * S ≥ θ allows, θ_review ≤ S < θ needs human approval, below that denies. CEL hard rules, capsule
 * guardrails and tenant overlays can only tighten.
 *
 * Pure model code: no imports of our own outside this folder. Hashing (`hash.ts`, node:crypto)
 * and signing (`signing.ts`, jose) are isolated; `evaluate` itself touches no Node built-in.
 */
export { canonicalize } from './canonical';
export { canonicalHash, sha256 } from './hash';
export {
  actionDescriptorSchema,
  guardrailsSchema,
  parseActionDescriptor,
  PII_KINDS,
  TOOL_RISKS,
  type ActionDescriptor,
  type Guardrails,
  type PiiKind,
  type ToolRisk,
} from './descriptor';
export { buildActionDescriptor, type BuildActionDescriptorInput, type ToolInfo } from './build-descriptor';
export {
  collectStrings,
  countEmails,
  detectPii,
  extractHosts,
  findUrls,
  extractSignals,
  hostAllowed,
  hostMatches,
  ibanValid,
  luhnValid,
  SCAN_LIMITS,
  type ArgSignals,
  type PiiCounts,
} from './signals';
export {
  CONSTITUTION_API_VERSION,
  MAX_CONSTITUTION_VERSION,
  constitutionSchema,
  featureSpecSchema,
  overlaySchema,
  ruleSpecSchema,
  type ConstitutionDocument,
  type FeatureSpec,
  type Overlay,
  type RuleSpec,
} from './schema';
export { FEATURE_CATALOG, FEATURE_KINDS, featureDefinition } from './features/catalog';
export type { FeatureContext, FeatureDefinition, Phi } from './features/types';
export {
  compileRule,
  runRule,
  RULE_VARIABLES,
  RuleCompileError,
  type RuleOutcome,
  type RuleProgram,
} from './rules';
export {
  compileConstitution,
  type CompiledConstitution,
  type CompiledFeature,
  type CompiledOverlay,
  type CompiledRule,
  type RuleSource,
} from './compile';
export { createCompiledCache, type CompiledCache } from './compiled-cache';
export { evaluate, type Contribution, type Evaluation, type GateDecision, type RuleFired } from './evaluate';
export { parseConstitution, validateConstitution, WEIGHT_SUM_TOLERANCE } from './validate';
export { PERMISSIVE_DESCRIPTORS, REPRESENTATIVE_DESCRIPTORS } from './representative';
export { compareEvaluations, type DecisionFlip, type FeatureShift, type RecordedDecision } from './compare';
export { createTrustStore, type TrustStore } from './trust-store';
export {
  CONSTITUTION_JWS_TYPE,
  DEFAULT_SIGNATURE_LIFETIME_SECONDS,
  generateSigningKey,
  signConstitution,
  SIGNING_ALG,
  verifyConstitution,
  type SignOptions,
  type SigningKeyPair,
  type VerifiedConstitution,
  type VerifyOptions,
} from './signing';
export {
  ConstitutionSignatureError,
  ConstitutionValidationError,
  DescriptorValidationError,
  type Issue,
  type SignatureProblem,
} from './errors';
export { DEFAULT_CONSTITUTION } from './default';
