/**
 * Deterministic jitter in [0, maxMs): a 32-bit FNV-1a hash of the schedule id and nominal time
 * (the real server likewise derives jitter from the schedule and the nominal time), so
 * describe, the scheduler loop and tests all agree on the actual time.
 */
export function deterministicJitter(scheduleId: string, nominalTime: number, maxMs: number): number {
  if (maxMs <= 0) return 0;
  let hash = 0x811c9dc5;
  const text = `${scheduleId}\u0000${nominalTime}`;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return Math.floor((hash / 0x1_0000_0000) * maxMs);
}
