/**
 * Task Capsules: schema, parser, compiler, forecast and registry.
 *
 * Sandbox-safe modules (workflows may import them directly): capsule-schema, persona-schema,
 * guardrails, primitives, diagnostics, errors, graph, template, plan, hash, compiler, resolver,
 * coefficients, prices, slm-providers, model-readiness, suggest. This barrel also re-exports parts that are not (parse and
 * source-map use the yaml package, which imports node:process; library-loader reads files; the
 * registry uses pg; forecast loads the tokenizer), so workflow code imports individual modules,
 * never this barrel. See README.md.
 */
export {
  capsuleSchema,
  paramSpecSchema,
  paramValueProblem,
  stepSchema,
  triggerSchema,
  budgetSchema,
  outputSchema,
  CAPSULE_TYPES,
  PARAM_TYPES,
  STEP_TASKS,
  type Capsule,
  type CapsuleInput,
  type Budget,
  type MemoryRef,
  type OutputSchema,
  type ParamSpec,
  type ParamValue,
  type PersonaBinding,
  type Step,
  type StepTask,
  type Trigger,
} from './capsule-schema';
export {
  DEFAULT_PERSONA_TRUST,
  personaSchema,
  personaHash,
  type Persona,
  type PersonaInput,
} from './persona-schema';
export { guardrailsSchema, tightenGuardrails, type Guardrails } from './guardrails';
export { BUILTIN_TOOLS, parseDuration, splitReference } from './primitives';
export {
  parseCapsule,
  parsePersona,
  validateCapsuleObject,
  validatePersonaObject,
  type ParseResult,
} from './parse';
export { compileCapsule, planHash, type CompileOptions, type CompileResult } from './compiler';
export {
  PLAN_VERSION,
  type CapsulePlan,
  type CapsulePlanStep,
  type PersonaPlanStep,
  type PlanReview,
  type PlanStep,
  type ResolvedPersona,
} from './plan';
export {
  forecastPlan,
  type ForecastOptions,
  type PlanForecast,
  type Range,
  type StepForecast,
} from './forecast';
export {
  defaultCoefficients,
  ewUpdate,
  learnFromRun,
  updateCoefficients,
  type Coefficient,
  type ForecastCoefficients,
  type StepUsage,
} from './coefficients';
export {
  DEFAULT_PRICES,
  costUsd,
  parsePriceTable,
  priceOf,
  priceTableSchema,
  unpricedModelMessage,
  type ModelPrice,
  type PriceTable,
} from './prices';
export {
  SLM_PROVIDERS,
  configuredProviders,
  isKnownProvider,
  providerMissingMessage,
  splitModelRef,
  type SlmProviderName,
  type SlmProviderSpec,
} from './slm-providers';
export {
  checkModelReadiness,
  formatReadinessIssue,
  type ModelReadinessCode,
  type ModelReadinessIssue,
} from './model-readiness';
export {
  MODEL_RETIREMENTS,
  modelLifecycle,
  type ModelLifecycle,
  type ModelRetirement,
} from './model-lifecycle';
export { countTokens, type TokenCounter } from './tokenizer';
export { renderTemplate, scanTemplate, type TemplateContext } from './template';
export { bindParams, type BoundParams } from './params';
export {
  compileTriggerFilter,
  runTriggerFilter,
  triggerFilterProblem,
  TriggerFilterError,
  EVENT_FIELDS,
  TRIGGER_FILTER_VARIABLES,
  type FilterOutcome,
  type TriggerEvent,
  type TriggerFilter,
} from './trigger-filter';
export { findCycles, topologicalLayers, criticalPath, type Graph } from './graph';
export { contentHash, canonicalJson, sha256Hex } from './hash';
export {
  formatDiagnostic,
  formatPath,
  sortDiagnostics,
  type Diagnostic,
  type Severity,
  type SourceInfo,
} from './diagnostics';
export { CapsuleValidationError, ImmutableVersionError, ReferenceNotFoundError } from './errors';
export {
  createMemoryResolver,
  chainResolvers,
  type ReferenceResolver,
  type Resolved,
  type MemoryResolverOptions,
} from './resolver';
export { loadLibrary, libraryResolver, BUILTIN_LIBRARY_DIR, type Library } from './library-loader';
export {
  createCapsuleRegistry,
  type CapsuleRegistry,
  type DocumentKind,
  type ListEntry,
  type PublishResult,
  type VersionRecord,
} from './registry/registry-store';
