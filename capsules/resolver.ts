import semver from 'semver';
import type { Capsule } from './capsule-schema';
import type { SourceInfo } from './diagnostics';
import type { Persona } from './persona-schema';
import { BUILTIN_TOOLS, splitReference } from './primitives';

/**
 * How the compiler finds what a capsule refers to. Implementations: in memory (below; fed from
 * files by `library-loader.ts`), the Postgres registry (`registry/`), or a chain of both.
 * Sandbox-safe (the in-memory resolver is pure).
 */
export interface Resolved<T> {
  value: T;
  /** Where it came from, so diagnostics inside a nested capsule name its own file. */
  source: SourceInfo;
}

export interface ReferenceResolver {
  /** Highest non-deprecated version matching `id@range`; undefined when none. */
  resolvePersona(ref: string): Promise<Resolved<Persona> | undefined>;
  resolveCapsule(ref: string): Promise<Resolved<Capsule> | undefined>;
  /** True when workers provide this tool. */
  hasTool(id: string): boolean;
  /** Known ids, for "did you mean" hints. */
  knownIds?(kind: 'capsule' | 'persona'): string[];
}

export interface MemoryResolverOptions {
  capsules?: ReadonlyArray<Resolved<Capsule>>;
  personas?: ReadonlyArray<Resolved<Persona>>;
  /** Tools beyond the built-ins. */
  tools?: readonly string[];
}

/** Resolver over documents held in memory (tests, the CLI, a workflow with an inline library). */
export function createMemoryResolver(options: MemoryResolverOptions = {}): ReferenceResolver {
  const tools = new Set<string>([...BUILTIN_TOOLS, ...(options.tools ?? [])]);
  const pick = <T extends { id: string; version: string }>(docs: ReadonlyArray<Resolved<T>>, ref: string) => {
    const { id, range } = splitReference(ref);
    const candidates = docs.filter((d) => d.value.id === id);
    const best = semver.maxSatisfying(
      candidates.map((d) => d.value.version),
      range,
    );
    return best === null ? undefined : candidates.find((d) => d.value.version === best);
  };
  return {
    resolvePersona: (ref) => Promise.resolve(pick(options.personas ?? [], ref)),
    resolveCapsule: (ref) => Promise.resolve(pick(options.capsules ?? [], ref)),
    hasTool: (id) => tools.has(id),
    knownIds: (kind) => [
      ...new Set(
        (kind === 'capsule' ? (options.capsules ?? []) : (options.personas ?? [])).map((d) => d.value.id),
      ),
    ],
  };
}

/** Tries each resolver in turn (e.g. a local library first, then the registry). */
export function chainResolvers(...resolvers: ReferenceResolver[]): ReferenceResolver {
  const first = async <T>(fn: (r: ReferenceResolver) => Promise<T | undefined>) => {
    for (const r of resolvers) {
      const found = await fn(r);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  return {
    resolvePersona: (ref) => first((r) => r.resolvePersona(ref)),
    resolveCapsule: (ref) => first((r) => r.resolveCapsule(ref)),
    hasTool: (id) => resolvers.some((r) => r.hasTool(id)),
    knownIds: (kind) => [...new Set(resolvers.flatMap((r) => r.knownIds?.(kind) ?? []))],
  };
}
