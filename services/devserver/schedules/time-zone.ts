/** Wall-clock ↔ instant conversion for one IANA time zone, using Intl (full ICU in Node). */
export interface Zone {
  readonly name: string;
  /** Milliseconds to add to an instant to get its wall clock (as a UTC-epoch number). */
  offsetAt(instant: number): number;
  /** Wall clock of `instant`, encoded as if it were UTC. */
  toWall(instant: number): number;
  /**
   * Instants whose wall clock is `wall`: none in a DST gap, two (ascending) in a DST overlap,
   * otherwise one.
   */
  fromWall(wall: number): number[];
}

const DAY = 86_400_000;
const OFFSET_BLOCK_MS = 15 * 60_000;
const MAX_CACHED_BLOCKS = 50_000;

/** True when `name` is a time zone Intl knows ('' and 'UTC' always are). */
export function isValidTimeZone(name: string): boolean {
  if (name === '' || name === 'UTC') return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** Creates a zone; '' means UTC. Throws RangeError for unknown names (validate first). */
export function createZone(name: string): Zone {
  if (name === '' || name === 'UTC' || name === 'Etc/UTC') {
    return { name: 'UTC', offsetAt: () => 0, toWall: (t) => t, fromWall: (w) => [w] };
  }
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: name,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
    era: 'short',
  });
  // Modern tzdata transitions fall on 15-minute UTC boundaries, so the offset is constant within
  // each such block; caching per block avoids most Intl calls (bounded, cleared when full).
  const cache = new Map<number, number>();
  const offsetAt = (instant: number): number => {
    const block = Math.floor(instant / OFFSET_BLOCK_MS);
    const cached = cache.get(block);
    if (cached !== undefined) return cached;
    if (cache.size >= MAX_CACHED_BLOCKS) cache.clear();
    const offset = computeOffset(block * OFFSET_BLOCK_MS);
    cache.set(block, offset);
    return offset;
  };
  const computeOffset = (instant: number): number => {
    const base = Math.floor(instant / 1000) * 1000;
    const parts: Record<string, string> = {};
    for (const p of format.formatToParts(base)) parts[p.type] = p.value;
    let year = Number(parts.year);
    if (parts.era === 'BC' || parts.era === 'B') year = 1 - year;
    const wall = Date.UTC(
      year,
      Number(parts.month) - 1,
      Number(parts.day),
      Number(parts.hour),
      Number(parts.minute),
      Number(parts.second),
    );
    // Date.UTC maps years 0..99 to 1900..1999; irrelevant for scheduling dates.
    return wall - base;
  };
  return {
    name,
    offsetAt,
    toWall: (t) => t + offsetAt(t),
    fromWall(wall) {
      // Offsets a day either side bracket any single transition near `wall`.
      const candidates = new Set([offsetAt(wall - DAY), offsetAt(wall), offsetAt(wall + DAY)]);
      const instants: number[] = [];
      for (const offset of candidates) {
        const instant = wall - offset;
        if (offsetAt(instant) === offset && !instants.includes(instant)) instants.push(instant);
      }
      return instants.sort((a, b) => a - b);
    },
  };
}
