/** Units `--since` accepts: 30m, 12h, 7d, 2w. */
const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * Length of `30m` / `12h` / `7d` / `2w` in milliseconds.
 *
 * @throws {RangeError} naming the accepted forms.
 */
export function parseDuration(value: string): number {
  const match = /^(\d+)\s*([mhdw])$/.exec(value.trim());
  if (!match) throw new RangeError(`expected a duration such as 30m, 12h, 7d or 2w, got "${value}"`);
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

/**
 * Turns `7d` / `12h` / `30m` / `2w` (relative to `now`) or an ISO-8601 timestamp into a Date.
 *
 * @throws {RangeError} naming the accepted forms.
 */
export function parseSince(value: string, now: Date = new Date()): Date {
  const relative = /^(\d+)\s*([mhdw])$/.exec(value.trim());
  if (relative) return new Date(now.getTime() - Number(relative[1]) * UNIT_MS[relative[2]!]!);
  const absolute = new Date(value);
  if (/^\d{4}-\d{2}-\d{2}/.test(value) && !Number.isNaN(absolute.getTime())) return absolute;
  throw new RangeError(
    `since: expected a duration such as 30m, 12h, 7d, 2w or an ISO-8601 timestamp, got "${value}"`,
  );
}
