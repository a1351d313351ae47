import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Capsule } from './capsule-schema';
import type { Diagnostic } from './diagnostics';
import { parseCapsule, parsePersona } from './parse';
import type { Persona } from './persona-schema';
import { createMemoryResolver, type ReferenceResolver, type Resolved } from './resolver';

/**
 * Loads capsule and persona documents from folders: `<dir>/*.yaml|yml|json` are capsules,
 * `<dir>/personas/*` are persona templates. NOT sandbox-safe (reads files): the CLI, tests and
 * activities use it; workflows get compiled plans.
 */
export interface Library {
  capsules: Array<Resolved<Capsule>>;
  personas: Array<Resolved<Persona>>;
  /** Problems in files that failed to parse; those files are left out. */
  diagnostics: Diagnostic[];
}

/** Absolute path of the built-in capsule library shipped in this repository. */
export const BUILTIN_LIBRARY_DIR = path.join(__dirname, 'library');

const DOCUMENT = /\.(ya?ml|json)$/;

async function documentsIn(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries
      .filter((e) => e.isFile() && DOCUMENT.test(e.name))
      .map((e) => path.join(dir, e.name))
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Reads every document under the given folders; a relative `file` in diagnostics when possible. */
export async function loadLibrary(dirs: readonly string[], cwd = process.cwd()): Promise<Library> {
  const library: Library = { capsules: [], personas: [], diagnostics: [] };
  for (const dir of dirs) {
    for (const file of await documentsIn(dir)) {
      const parsed = parseCapsule(await readFile(file, 'utf8'), { file: path.relative(cwd, file) });
      if (parsed.value) library.capsules.push({ value: parsed.value, source: parsed.source });
      else library.diagnostics.push(...parsed.diagnostics);
    }
    for (const file of await documentsIn(path.join(dir, 'personas'))) {
      const parsed = parsePersona(await readFile(file, 'utf8'), { file: path.relative(cwd, file) });
      if (parsed.value) library.personas.push({ value: parsed.value, source: parsed.source });
      else library.diagnostics.push(...parsed.diagnostics);
    }
  }
  return library;
}

/** A resolver over a loaded library. */
export function libraryResolver(library: Library, tools: readonly string[] = []): ReferenceResolver {
  return createMemoryResolver({ capsules: library.capsules, personas: library.personas, tools });
}
