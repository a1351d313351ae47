import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseSnapshotRef, type SnapshotRef } from './snapshot-ref';

/**
 * Memory snapshot contents from files. A plain file becomes one snapshot's content: YAML and
 * JSON parse into structured values, anything else is kept as text. A snapshot document (the
 * library's `library/snapshots/*.yaml`) also names its reference: `{ ref, description?, content }`.
 * NOT sandbox-safe (fs, yaml).
 */

const snapshotContentSchema = z.json();
/** A snapshot's content: any JSON value. */
export type JsonValue = z.infer<typeof snapshotContentSchema>;

const snapshotDocumentSchema = z.strictObject({
  ref: z.string().superRefine((ref, ctx) => {
    const parsed = parseSnapshotRef(ref);
    if ('problem' in parsed) ctx.addIssue({ code: 'custom', message: parsed.problem });
    else if (parsed.version === 'latest')
      ctx.addIssue({ code: 'custom', message: 'a stored snapshot needs a version label, e.g. @2026-12-01' });
  }),
  description: z.string().optional(),
  content: snapshotContentSchema,
});

export interface SnapshotDocument {
  ref: SnapshotRef;
  description?: string;
  content: JsonValue;
  source: string;
}

/** A file's content as a snapshot value: parsed when it is YAML or JSON, else its text. */
export async function readSnapshotContent(file: string): Promise<JsonValue> {
  const text = await readFile(file, 'utf8');
  const ext = path.extname(file).toLowerCase();
  try {
    if (ext === '.json') return JSON.parse(text) as JsonValue;
    if (ext === '.yaml' || ext === '.yml') return (parseYaml(text) ?? null) as JsonValue;
  } catch (err) {
    throw new Error(`${file}: not valid ${ext.slice(1).toUpperCase()}: ${(err as Error).message}`);
  }
  return text;
}

/** Every snapshot document in `dir` (none when it does not exist); a bad one names file and field. */
export async function loadSnapshotDocuments(dir: string): Promise<SnapshotDocument[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /\.(ya?ml|json)$/i.test(n)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const documents: SnapshotDocument[] = [];
  for (const name of names) {
    const source = path.join(dir, name);
    const parsed = snapshotDocumentSchema.safeParse(await readSnapshotContent(source));
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
      throw new Error(`${source}: ${issues.join('; ')}`);
    }
    const ref = parseSnapshotRef(parsed.data.ref) as SnapshotRef;
    documents.push({
      ref,
      content: parsed.data.content,
      source,
      ...(parsed.data.description ? { description: parsed.data.description } : {}),
    });
  }
  return documents;
}
