/**
 * Pure libraries the workflow bundle loads ONCE per reused V8 context instead of once per
 * workflow (`preloadModules` in `workers/workflow-bundle.ts`).
 *
 * With `reuseV8Context` (the SDK default) every module a workflow imports is instantiated again
 * for each workflow run, in its own module cache, unless it was loaded at context bootstrap.
 * zod alone is ~95 modules; re-running them per workflow cost most of a cached workflow's memory.
 * Preloaded modules are shared and deep-frozen by the SDK, so only stateless libraries belong
 * here: never a module with per-workflow state, and never our own schema modules (zod schemas
 * cache lazily on themselves and must stay per workflow).
 *
 * zod declares `sideEffects: false`, so a bare `require('zod')` in the SDK's preload hook is
 * tree-shaken away: this module keeps a live reference so webpack loads it.
 */
import semver from 'semver';
import * as zod from 'zod';

/**
 * zod installs its default locale and memoizer on the first schema it constructs, by writing to
 * its global config. Preloaded, that config is frozen before any workflow runs, so construct one
 * schema (and one container) here: the defaults are in place before the SDK freezes them.
 */
zod.z.object({ preload: zod.z.string() });

export const preloadedLibraries = { semver, zod };
