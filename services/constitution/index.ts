export {
  createConstitutionService,
  PUBLISH_SCOPE,
  READ_SCOPE,
  type ConstitutionServiceDeps,
} from './service';
export {
  createConstitutionStore,
  CONSTITUTION_UPDATED,
  type ConstitutionStore,
  type StoredVersion,
  type VersionSummary,
} from './store';
export { createConstitutionMetrics, type ConstitutionMetrics } from './metrics';
export { runWhatIf, type WhatIfFlip, type WhatIfOptions, type WhatIfReport } from './whatif';
export { parseDuration, parseSince } from './time-window';
export { RequestValidationError, VersionConflictError } from './errors';
export { loadCurrentConstitution, verifyConstitutionUpdate } from './loader';
export { loadOrCreateDevSigningKey, publishDefaultIfEmpty, DEV_KEY_NAME } from './bootstrap';
export { startConstitutionService, type RunningConstitutionService } from './start';
export { prepareConstitutionTrust, type ConstitutionTrust } from './trust-setup';
