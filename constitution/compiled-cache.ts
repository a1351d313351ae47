import { compileConstitution, type CompiledConstitution } from './compile';
import { canonicalHash } from './hash';
import type { ConstitutionDocument } from './schema';

/** Compiled constitutions by hash, so each version is compiled once per process. */
export interface CompiledCache {
  /** The compiled form of `document`, compiling it on first sight. */
  get(document: ConstitutionDocument): CompiledConstitution;
  /** Adds an already compiled version (e.g. from verification). */
  put(compiled: CompiledConstitution): void;
  readonly size: number;
}

/**
 * A small cache of compiled versions, keyed by content hash. Old versions are evicted first
 * (insertion order) once `max` is reached; gates normally hold the current and the previous one.
 */
export function createCompiledCache({ max = 8 }: { max?: number } = {}): CompiledCache {
  const byHash = new Map<string, CompiledConstitution>();
  const put = (compiled: CompiledConstitution) => {
    byHash.delete(compiled.hash);
    byHash.set(compiled.hash, compiled);
    while (byHash.size > max) {
      const oldest = byHash.keys().next().value as string;
      byHash.delete(oldest);
    }
  };
  return {
    get(document) {
      const hash = canonicalHash(document);
      const hit = byHash.get(hash);
      if (hit) return hit;
      const compiled = compileConstitution(document);
      put(compiled);
      return compiled;
    },
    put,
    get size() {
      return byHash.size;
    },
  };
}
