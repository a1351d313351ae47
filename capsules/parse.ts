import type { z } from 'zod';
import { capsuleSchema, type Capsule } from './capsule-schema';
import { DiagnosticBag, formatPath, type Diagnostic, type PathSegment, type SourceInfo } from './diagnostics';
import { personaSchema, type Persona } from './persona-schema';
import { didYouMean } from './suggest';
import { locateKey, readYaml, type YamlSource } from './source-map';

/**
 * Parsing: YAML/JSON text → validated document, with every problem reported as a diagnostic
 * carrying file, field path and line:column. Sandbox-safe.
 */
export interface ParseResult<T> {
  /** The validated document; undefined when there are errors. */
  value?: T;
  diagnostics: Diagnostic[];
  /** File name and path→position mapping, for diagnostics found later (e.g. by the compiler). */
  source: SourceInfo;
}

export interface ParseOptions {
  /** Name shown in diagnostics. @default '<input>' */
  file?: string;
}

/** Parses and validates a capsule document (YAML or JSON). Never throws on bad input. */
export function parseCapsule(text: string, options: ParseOptions = {}): ParseResult<Capsule> {
  return parseWith(capsuleSchema, text, options.file ?? '<input>');
}

/** Parses and validates a persona template (YAML or JSON). Never throws on bad input. */
export function parsePersona(text: string, options: ParseOptions = {}): ParseResult<Persona> {
  return parseWith(personaSchema, text, options.file ?? '<input>');
}

/** Validates an already-parsed object (e.g. from the registry); positions are unknown. */
export function validateCapsuleObject(value: unknown, file: string): ParseResult<Capsule> {
  return validate(capsuleSchema, value, { file }, undefined);
}

/** Validates an already-parsed persona object. */
export function validatePersonaObject(value: unknown, file: string): ParseResult<Persona> {
  return validate(personaSchema, value, { file }, undefined);
}

function parseWith<T>(schema: z.ZodType<T>, text: string, file: string): ParseResult<T> {
  const yaml = readYaml(text);
  const source: SourceInfo = { file, locate: yaml.locate };
  if (yaml.doc.errors.length > 0) {
    const diagnostics = yaml.doc.errors.map((e) => ({
      severity: 'error' as const,
      code: `yaml-${e.code.toLowerCase().replace(/_/g, '-')}`,
      file,
      path: '',
      line: yaml.lineCounter.linePos(e.pos[0]).line,
      column: yaml.lineCounter.linePos(e.pos[0]).col,
      message: e.message.split('\n')[0]!,
    }));
    return { diagnostics, source };
  }
  const value: unknown = yaml.doc.toJS({ maxAliasCount: 100 });
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const bag = new DiagnosticBag(source);
    bag.error('not-a-mapping', [], 'expected a mapping of fields (id, version, title, ...) at the top level');
    return { diagnostics: bag.items, source };
  }
  return validate(schema, value, source, yaml);
}

function validate<T>(
  schema: z.ZodType<T>,
  value: unknown,
  source: SourceInfo,
  yaml: YamlSource | undefined,
): ParseResult<T> {
  const result = schema.safeParse(value);
  if (result.success) return { value: result.data, diagnostics: [], source };
  const bag = new DiagnosticBag(source);
  for (const issue of result.error.issues) {
    const path = issue.path.filter((p): p is PathSegment => typeof p !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      // One diagnostic per unknown key, pointing at the key itself.
      for (const key of issue.keys) {
        const pos = yaml ? locateKey(yaml, path, key) : undefined;
        bag.items.push({
          severity: 'error',
          code: 'unknown-field',
          file: source.file,
          path: formatPath([...path, key]),
          line: pos?.line ?? 0,
          column: pos?.column ?? 0,
          message: `unknown field "${key}"${didYouMean(key, KNOWN_FIELDS, '; remove it or check the spelling')}`,
        });
      }
      continue;
    }
    bag.error(codeOf(issue, value), path, messageOf(issue, value));
  }
  return { diagnostics: bag.items, source };
}

const KNOWN_FIELDS = [
  'id',
  'version',
  'title',
  'description',
  'type',
  'intent',
  'deliverable',
  'params',
  'personas',
  'tools',
  'memory',
  'guardrails',
  'budget',
  'triggers',
  'steps',
  'dependsOn',
  'instruction',
  'persona',
  'capsule',
  'review',
  'output',
  'expectedToolCalls',
  'modelTier',
  'task',
  'overrides',
  'systemPrompt',
  'temperature',
  'traits',
  'skills',
  'model',
  'deniedTools',
  'allowedHosts',
  'maxSpendUsd',
  'requireApprovalFor',
  'minThreshold',
  'tokens',
  'costUsd',
  'wallTime',
  'approvalLimitUsd',
  'timezone',
  'cron',
  'interval',
  'event',
  'filter',
  'default',
  'values',
  'required',
];

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const seg of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[seg];
  }
  return node;
}

function describe(value: unknown): string {
  if (value === null) return 'null (an empty value)';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a mapping' : `${typeof value} ${JSON.stringify(value)}`;
}

function codeOf(issue: z.core.$ZodIssue, root: unknown): string {
  if (issue.code === 'invalid_type' && valueAt(root, issue.path) === undefined) return 'missing-field';
  return issue.code === 'custom' ? 'invalid-value' : issue.code.replace(/_/g, '-');
}

function messageOf(issue: z.core.$ZodIssue, root: unknown): string {
  if (issue.code === 'invalid_type') {
    const actual = valueAt(root, issue.path);
    if (actual === undefined) {
      return `missing required field "${String(issue.path[issue.path.length - 1] ?? '')}" (expected ${issue.expected})`;
    }
    return `expected ${issue.expected}, got ${describe(actual)}`;
  }
  return issue.message;
}
