/** The one-line summary of a capsule run in the Web UI: "capsule X v1.2 for tenant T". */
export function runSummary(capsule: { id: string; version: string }, tenant: string): string {
  return `capsule ${capsule.id} v${capsule.version} for tenant ${tenant}`;
}
