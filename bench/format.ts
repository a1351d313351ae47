/** Percentile of an ascending-sorted sample (nearest-rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Prints one result line: `name  value unit  (target: ...)`. */
export function report(name: string, value: number, unit: string, target?: string): void {
  const shown = Number.isInteger(value) ? String(value) : value.toFixed(value < 10 ? 3 : 1);
  process.stdout.write(
    `${name.padEnd(48)} ${shown.padStart(12)} ${unit}${target ? `   (target: ${target})` : ''}\n`,
  );
}
