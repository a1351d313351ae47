/**
 * Taint labels: the data classes a run has already read (e.g. `pii`, `secret`, `financial`).
 * Tool and memory results declare the classes of what they return; the run accumulates them and
 * sends them to the gate with every activity, so a decision can depend on the trajectory (an
 * `http.request` after reading PII scores differently). Labels only accumulate: a run never
 * becomes less tainted. Pure; sandbox-safe.
 */

/** Well-known labels; any lower-case `[a-z0-9._-]` label is accepted. */
export const TAINT_LABELS = ['pii', 'secret', 'financial', 'health', 'credential', 'confidential'] as const;
export type KnownTaintLabel = (typeof TAINT_LABELS)[number];

const LABEL = /^[a-z0-9][a-z0-9._-]*$/;

/** Lower-cases and trims a label; returns undefined for a label that is not a valid name. */
export function normalizeTaintLabel(label: string): string | undefined {
  const normalized = label.trim().toLowerCase();
  return LABEL.test(normalized) ? normalized : undefined;
}

/**
 * Union of label sets, normalized, de-duplicated and sorted, so equal sets always serialize the
 * same way (stable headers, stable histories). Invalid labels are dropped.
 */
export function mergeTaint(...sets: ReadonlyArray<readonly string[] | undefined>): string[] {
  const merged = new Set<string>();
  for (const set of sets) {
    for (const label of set ?? []) {
      const normalized = normalizeTaintLabel(label);
      if (normalized !== undefined) merged.add(normalized);
    }
  }
  return [...merged].sort();
}

/** Something an activity returned that may declare the data classes of its content. */
export interface DataClassified {
  dataClasses?: readonly string[];
}

/** Folds the declared data classes of activity results into the run's taint. */
export function taintFromResults(current: readonly string[], results: readonly DataClassified[]): string[] {
  return mergeTaint(current, ...results.map((r) => r.dataClasses));
}

/** True when the run has read any of `labels`. */
export function isTainted(taint: readonly string[], ...labels: string[]): boolean {
  return labels.some((label) => taint.includes(label));
}
