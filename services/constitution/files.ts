import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';

/** A constitution as found in a file: a document to validate, or a signed JWS to verify. */
export type ConstitutionFile = { kind: 'document'; document: unknown } | { kind: 'jws'; jws: string };

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Reads a constitution file: JSON or YAML (`.yaml`/`.yml`) documents, or a compact JWS (`.jws`
 * or any file holding one). Errors name the file.
 */
export async function readConstitutionFile(file: string): Promise<ConstitutionFile> {
  const text = (await readFile(file, 'utf8')).trim();
  if (COMPACT_JWS.test(text)) return { kind: 'jws', jws: text };
  try {
    return { kind: 'document', document: /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text) };
  } catch (err) {
    throw new Error(
      `${file}: neither a compact JWS nor a valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'} document`,
      {
        cause: err,
      },
    );
  }
}

/** Reads a JSON (or YAML) file of any shape, naming the file on failure. */
export async function readDataFile(file: string): Promise<unknown> {
  const text = await readFile(file, 'utf8');
  try {
    return /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: not valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'}`, { cause: err });
  }
}
