/** The one-line summary of a capsule run in the Web UI: "capsule X v1.2 for tenant T". */
export function runSummary(capsule: { id: string; version: string }, tenant: string): string {
  return `capsule ${capsule.id} v${capsule.version} for tenant ${tenant}`;
}

/** The one-line summary of a persona run: "persona scribe (scribe v1.0.0) for step note". */
export function personaSummary(
  persona: { alias: string; id: string; version: string },
  stepId: string,
): string {
  return `persona ${persona.alias} (${persona.id} v${persona.version}) for step ${stepId}`;
}
