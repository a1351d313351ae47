import {
  BUILTIN_LIBRARY_DIR,
  checkModelReadiness,
  compileCapsule,
  configuredProviders,
  DEFAULT_PRICES,
  formatReadinessIssue,
  libraryResolver,
  loadLibrary,
  type CapsulePlan,
  type ModelReadinessIssue,
} from '../../capsules';

/** What the shipped library's personas need from this environment before their capsules run. */
export interface LibraryReadiness {
  /** Providers with a key set, e.g. `['openai']`. */
  providers: string[];
  /** One per persona, model and problem (sorted), as `capsule validate` reports them. */
  issues: ModelReadinessIssue[];
  /** Issues of capsule `id`'s own persona steps. */
  issuesOf(id: string): ModelReadinessIssue[];
}

/**
 * `npm start`'s readiness report: compiles every capsule of the built-in library and asks, with
 * the same check as `capsule validate`/`plan`, whether each persona's models can run here: a key
 * for its provider, a price, not retired. Reported before the first run finds out.
 */
export async function checkLibraryReadiness(
  config: Readonly<Record<string, unknown>>,
  today: string = new Date().toISOString().slice(0, 10),
): Promise<LibraryReadiness> {
  const library = await loadLibrary([BUILTIN_LIBRARY_DIR]);
  const resolver = libraryResolver(library);
  const plans: CapsulePlan[] = [];
  for (const capsule of library.capsules) {
    const { plan } = await compileCapsule(capsule.value, { resolver, source: capsule.source });
    if (plan) plans.push(plan);
  }
  const providers = configuredProviders(config);
  const issues = checkModelReadiness(plans, providers, DEFAULT_PRICES, today);
  return {
    providers,
    issues,
    issuesOf: (id) => issues.filter((issue) => issue.capsules.some((c) => c.startsWith(`${id}@`))),
  };
}

/**
 * The report as lines for a terminal: errors one per line (each names persona, model and fix);
 * missing keys grouped per variable, one line per persona and model, so nine personas on one
 * provider read as one thing to do.
 */
export function formatLibraryReadiness(issues: readonly ModelReadinessIssue[]): string[] {
  const lines: string[] = [];
  const missing = new Map<string, ModelReadinessIssue[]>();
  for (const issue of issues) {
    if (issue.code === 'provider-not-configured' && issue.variable) {
      missing.set(issue.variable, [...(missing.get(issue.variable) ?? []), issue]);
    } else {
      lines.push(formatReadinessIssue(issue));
    }
  }
  for (const [variable, group] of missing) {
    lines.push(`${variable} is not set, so these personas cannot call their models (set it and restart):`);
    const width = Math.max(...group.map((i) => i.persona.length + i.model.length + 1));
    for (const issue of group) {
      const who = `${issue.persona} ${issue.model}`.padEnd(width);
      lines.push(`  ${who}  in ${issue.capsules.join(', ')}`);
    }
  }
  return lines;
}
