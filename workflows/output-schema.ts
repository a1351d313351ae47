import type { OutputSchema } from '../capsules/capsule-schema';
import type { SlmToolDefinition } from '../activities/slm/types';
import type { JsonValue } from './shared/types';

/**
 * Typed step outputs. A step that declares `output` gets a `finish` tool whose parameters are
 * that schema (in the form OpenAI's strict function calling accepts), and the workflow checks the
 * answer against the same schema before the step counts as done. Pure; sandbox-safe.
 */

/** One way an answer misses the schema, with the JSON path of the value (`$.actionItems[0].owner`). */
export interface OutputIssue {
  path: string;
  message: string;
}

export type OutputCheck = { ok: true; value: JsonValue } | { ok: false; issues: OutputIssue[] };

/** A compiled check: validates and normalises an answer (optional `null`s dropped, unknown keys too). */
export type OutputValidator = (value: unknown) => OutputCheck;

/** Issues quoted back to the model (and into the failure) at most. */
const MAX_ISSUES_QUOTED = 10;

/** True when the schema's root is an object, so the tool's arguments are the output itself. */
const isObjectRoot = (schema: OutputSchema) => schema.type === 'object';

/**
 * The schema as strict-mode JSON Schema: every object lists all its properties as required and
 * forbids others; a property the capsule did not require becomes nullable instead (strict mode's
 * way to say optional).
 */
export function toStrictJsonSchema(schema: OutputSchema, nullable = false): Record<string, unknown> {
  const type = nullable ? [schema.type, 'null'] : schema.type;
  const out: Record<string, unknown> = { type };
  if (schema.description !== undefined) out.description = schema.description;
  if (schema.enum !== undefined) out.enum = nullable ? [...schema.enum, null] : [...schema.enum];
  if (schema.type === 'object') {
    const required = new Set(schema.required ?? []);
    const properties: Record<string, unknown> = {};
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      properties[name] = toStrictJsonSchema(property, !required.has(name));
    }
    out.properties = properties;
    out.required = Object.keys(properties);
    out.additionalProperties = false;
  }
  if (schema.type === 'array' && schema.items) out.items = toStrictJsonSchema(schema.items);
  return out;
}

/** The `finish` tool of a step with a declared output: its arguments are the step's answer. */
export function typedFinishTool(name: string, schema: OutputSchema): SlmToolDefinition {
  const parameters = isObjectRoot(schema)
    ? toStrictJsonSchema(schema)
    : {
        type: 'object',
        properties: { result: toStrictJsonSchema(schema) },
        required: ['result'],
        additionalProperties: false,
      };
  return {
    name,
    description:
      "End the task. The arguments are the step's result: fill every field from your work, " +
      'following the schema exactly; use null only for fields you cannot support.',
    parameters,
    strict: true,
  };
}

/** The answer inside the `finish` arguments (the arguments themselves for object outputs). */
export function finishOutput(schema: OutputSchema, args: unknown): unknown {
  if (isObjectRoot(schema)) return args;
  return args !== null && typeof args === 'object' && 'result' in args ? args.result : args;
}

/**
 * The sentence appended to a typed step's instruction, so models that read instructions more
 * than tool schemas (or servers without tool support) still learn the shape.
 */
export function outputInstruction(finishTool: string, schema: OutputSchema): string {
  return (
    `When you are done, call the \`${finishTool}\` tool; its arguments are your result and must ` +
    `match this JSON schema: ${JSON.stringify(typedFinishTool(finishTool, schema).parameters)}`
  );
}

/** Compiles the schema once into a validator. */
export function compileOutputValidator(schema: OutputSchema): OutputValidator {
  const check = compileNode(schema);
  return (value) => {
    const issues: OutputIssue[] = [];
    const normalised = check(value, '$', issues);
    return issues.length === 0 ? { ok: true, value: normalised as JsonValue } : { ok: false, issues };
  };
}

type NodeCheck = (value: unknown, path: string, issues: OutputIssue[]) => unknown;

function compileNode(schema: OutputSchema): NodeCheck {
  const allowed = schema.enum ? new Set<unknown>(schema.enum) : undefined;
  const withEnum =
    (inner: NodeCheck): NodeCheck =>
    (value, path, issues) => {
      const before = issues.length;
      const out = inner(value, path, issues);
      if (allowed && issues.length === before && !allowed.has(out)) {
        issues.push({ path, message: `expected one of ${JSON.stringify(schema.enum)}, got ${preview(out)}` });
      }
      return out;
    };
  switch (schema.type) {
    case 'string':
      return withEnum(primitive('a string', (v) => typeof v === 'string'));
    case 'number':
      return withEnum(primitive('a number', (v) => typeof v === 'number' && Number.isFinite(v)));
    case 'integer':
      return withEnum(primitive('an integer', (v) => typeof v === 'number' && Number.isInteger(v)));
    case 'boolean':
      return primitive('true or false', (v) => typeof v === 'boolean');
    case 'array': {
      const item = schema.items ? compileNode(schema.items) : (v: unknown) => v;
      return (value, path, issues) => {
        if (!Array.isArray(value)) {
          issues.push({ path, message: `expected an array, got ${describeValue(value)}` });
          return value;
        }
        return value.map((element, i) => item(element, `${path}[${i}]`, issues));
      };
    }
    case 'object': {
      const required = new Set(schema.required ?? []);
      const properties = Object.entries(schema.properties ?? {}).map(
        ([name, property]) => [name, compileNode(property), required.has(name)] as const,
      );
      return (value, path, issues) => {
        if (value === null || typeof value !== 'object' || Array.isArray(value)) {
          issues.push({ path, message: `expected an object, got ${describeValue(value)}` });
          return value;
        }
        const record = value as Record<string, unknown>;
        const out: Record<string, unknown> = {};
        for (const [name, check, isRequired] of properties) {
          const field = record[name];
          const fieldPath = `${path}.${name}`;
          if (field === undefined || field === null) {
            if (isRequired) issues.push({ path: fieldPath, message: 'is required but missing' });
            continue;
          }
          out[name] = check(field, fieldPath, issues);
        }
        return out;
      };
    }
  }
}

function primitive(expected: string, test: (value: unknown) => boolean): NodeCheck {
  return (value, path, issues) => {
    if (!test(value)) issues.push({ path, message: `expected ${expected}, got ${describeValue(value)}` });
    return value;
  };
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${preview(value)}`;
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

/** The issues as lines for the model and the failure message, capped. */
export function formatIssues(issues: readonly OutputIssue[]): string {
  const shown = issues.slice(0, MAX_ISSUES_QUOTED).map((i) => `${i.path}: ${i.message}`);
  const more = issues.length - shown.length;
  return shown.join('; ') + (more > 0 ? `; and ${more} more` : '');
}

/**
 * An answer given as text instead of a `finish` call: the JSON in it (a bare document or a
 * fenced ```json block), or undefined when there is none.
 */
export function jsonFromText(text: string): unknown {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(text);
  const body = fenced ? fenced[1]! : text;
  // The outermost object or array in the text: models often wrap the JSON in a sentence.
  const start = body.search(/[{[]/);
  if (start < 0) return undefined;
  const end = Math.max(body.lastIndexOf('}'), body.lastIndexOf(']'));
  if (end <= start) return undefined;
  try {
    return JSON.parse(body.slice(start, end + 1)) as unknown;
  } catch {
    return undefined;
  }
}
