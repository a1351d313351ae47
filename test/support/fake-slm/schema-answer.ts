import { randomUUID } from 'node:crypto';
import { kindOfWords, mentions, ownerOf, quote, wordsOf, type Fact, type FactKind } from './material';

/**
 * Answers that fit a JSON Schema, filled from what the model read: what a good model puts in a
 * tool call or a structured response. Covers the JSON Schema subset tool and response schemas
 * use (OpenAI strict mode included): `type` (also as a list, for nullable), `properties`,
 * `required`, `additionalProperties`, `items`, `enum`, `const`, `anyOf`/`oneOf`/`allOf`, local
 * `$ref`s, string formats and lengths, numeric bounds, `minItems`/`maxItems`/`uniqueItems`.
 */

export type JsonSchema = { [key: string]: unknown };

/** What an answer is drawn from. */
export interface AnswerMaterial {
  facts: readonly Fact[];
  /** Everything read and said, for picking enum members that were mentioned. */
  corpus: string;
  /** A title for the work, when one is known. */
  title?: string;
  /** A short text summary of the work, for `result`/`summary`-like strings. */
  summary: string;
}

/** Items a list gets at most when its schema does not say. */
const DEFAULT_MAX_ITEMS = 8;
/** Items a list without a hint (not decisions, questions, ...) gets at most. */
const GENERIC_MAX_ITEMS = 5;
const MAX_DEPTH = 8;

interface Context {
  root: JsonSchema;
  material: AnswerMaterial;
  /** Property names from the root down to here. */
  names: string[];
  /** The fact an array item is about. */
  focus?: Fact;
  depth: number;
}

/** An answer that validates against `schema`, with content from `material`. */
export function answerForSchema(schema: JsonSchema, material: AnswerMaterial): unknown {
  return generate(schema, { root: schema, material, names: [], depth: 0 });
}

/**
 * An answer that does NOT validate against `schema` (a badly behaving model), in one of three
 * ways by `attempt`: 0: a string where an array is expected (else a wrong type); 1: a required
 * field left out (else a wrong type); 2: every field of the wrong type. The root stays an object,
 * since tool arguments always are.
 */
export function offSchemaAnswer(schema: JsonSchema, material: AnswerMaterial, attempt: number): unknown {
  const valid = answerForSchema(schema, material);
  const root = resolve(schema, schema);
  if (!isRecord(valid) || !isRecord(root.properties)) {
    return { unexpected: valid === undefined ? 'value' : valid };
  }
  const properties = root.properties as Record<string, JsonSchema>;
  const out: Record<string, unknown> = { ...valid };
  const names = Object.keys(properties);
  const breakable = names.filter((n) => wrongType(resolve(properties[n]!, schema), out[n]) !== undefined);
  const required = Array.isArray(root.required) ? (root.required as string[]) : [];
  const retype = (name: string) => {
    out[name] = wrongType(resolve(properties[name]!, schema), out[name]);
  };
  switch (attempt % 3) {
    case 0: {
      const list = names.find((n) => typesOf(resolve(properties[n]!, schema)).includes('array'));
      if (list !== undefined) out[list] = textOfValue(out[list]);
      else if (breakable[0] !== undefined) retype(breakable[0]);
      break;
    }
    case 1: {
      const missing = required.find((n) => n in properties && !nullable(resolve(properties[n]!, schema)));
      if (missing !== undefined) delete out[missing];
      else if (breakable[0] !== undefined) retype(breakable[0]);
      break;
    }
    default:
      for (const name of breakable) retype(name);
  }
  if (breakable.length === 0 && names.length === 0) out.unexpected = true;
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Follows local `$ref`s (`#/$defs/x`, `#/definitions/x`) and merges `allOf`. */
function resolve(schema: JsonSchema, root: JsonSchema, seen = 0): JsonSchema {
  let current = schema;
  if (typeof current.$ref === 'string' && current.$ref.startsWith('#') && seen < MAX_DEPTH) {
    let target: unknown = root;
    for (const part of current.$ref.slice(1).split('/').filter(Boolean)) {
      target = isRecord(target) ? target[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
    }
    const { $ref: _ref, ...rest } = current;
    current = resolve({ ...(isRecord(target) ? target : {}), ...rest }, root, seen + 1);
  }
  if (Array.isArray(current.allOf)) {
    const { allOf, ...rest } = current;
    let merged: JsonSchema = rest;
    for (const part of allOf as JsonSchema[]) {
      const r = resolve(part, root, seen + 1);
      merged = {
        ...r,
        ...merged,
        properties: { ...(r.properties as object), ...(merged.properties as object) },
        required: [...((r.required as string[]) ?? []), ...((merged.required as string[]) ?? [])],
      };
    }
    current = merged;
  }
  return current;
}

function typesOf(schema: JsonSchema): string[] {
  if (typeof schema.type === 'string') return [schema.type];
  if (Array.isArray(schema.type)) return schema.type as string[];
  if ('const' in schema) return [jsonType(schema.const)];
  if (Array.isArray(schema.enum)) return [...new Set((schema.enum as unknown[]).map(jsonType))];
  if (isRecord(schema.properties)) return ['object'];
  if (isRecord(schema.items)) return ['array'];
  const branches = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (Array.isArray(branches)) return [...new Set(branches.flatMap((b) => typesOf(b)))];
  return [];
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function nullable(schema: JsonSchema): boolean {
  return typesOf(schema).includes('null');
}

function generate(raw: JsonSchema, ctx: Context): unknown {
  const schema = resolve(raw, ctx.root);
  if ('const' in schema) return schema.const;
  const branches = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (Array.isArray(branches) && branches.length > 0) {
    const concrete = branches.filter((b) => !typesOf(resolve(b, ctx.root)).every((t) => t === 'null'));
    if (concrete.length === 0) return null;
    if (concrete.length < branches.length && preferNull(schema, ctx)) return null;
    return generate({ ...withoutBranches(schema), ...resolve(concrete[0]!, ctx.root) }, ctx);
  }
  const types = typesOf(schema);
  if (types.includes('null') && preferNull(schema, ctx)) return null;
  if (Array.isArray(schema.enum)) return pickEnum(schema.enum as unknown[], ctx);
  const type = types.find((t) => t !== 'null') ?? (types.includes('null') ? 'null' : 'string');
  if (ctx.depth > MAX_DEPTH) return emptyOf(type);
  switch (type) {
    case 'object':
      return objectAnswer(schema, ctx);
    case 'array':
      return arrayAnswer(schema, ctx);
    case 'integer':
    case 'number':
      return numberAnswer(schema, ctx, type === 'integer');
    case 'boolean':
      return booleanAnswer(ctx);
    case 'null':
      return null;
    default:
      return stringAnswer(schema, ctx);
  }
}

function withoutBranches(schema: JsonSchema): JsonSchema {
  const { anyOf: _a, oneOf: _o, ...rest } = schema;
  return rest;
}

function emptyOf(type: string): unknown {
  return type === 'object' ? {} : type === 'array' ? [] : type === 'string' ? '' : type === 'null' ? null : 0;
}

/** The words of the name of the property being filled. */
function hintWords(ctx: Context): string[] {
  return wordsOf(ctx.names[ctx.names.length - 1] ?? '');
}

type Role = 'owner' | 'due' | 'title' | 'summary' | 'url' | 'email' | 'path' | 'id' | 'text';

function roleOf(ctx: Context): Role {
  const words = hintWords(ctx);
  const has = (...w: string[]) => words.some((x) => w.includes(x));
  if (has('owner', 'owners', 'assignee', 'responsible', 'who', 'person', 'author', 'speaker', 'by')) {
    return 'owner';
  }
  if (has('due', 'deadline', 'date', 'when', 'until')) return 'due';
  if (has('title', 'heading', 'subject', 'headline')) return 'title';
  if (has('url', 'uri', 'link', 'href')) return 'url';
  if (has('email', 'mail')) return 'email';
  if (has('path', 'file', 'filename')) return 'path';
  if (has('id', 'uuid')) return 'id';
  if (
    has('summary', 'overview', 'abstract', 'result', 'answer', 'conclusion', 'tldr', 'report', 'markdown')
  ) {
    return ctx.focus ? 'text' : 'summary';
  }
  return 'text';
}

/** Whether a nullable value is better left null: nothing in the material supports it. */
function preferNull(schema: JsonSchema, ctx: Context): boolean {
  const role = roleOf(ctx);
  if (role === 'due') return !(ctx.focus?.due ?? ctx.focus?.fields?.due);
  if (role === 'owner') return ctx.focus !== undefined && !ownerOf(ctx.focus);
  const kind = kindOfWords(hintWords(ctx));
  if (kind && !ctx.focus && typesOf(schema).includes('string')) {
    return !ctx.material.facts.some((f) => f.kind === kind);
  }
  return false;
}

function pickEnum(members: readonly unknown[], ctx: Context): unknown {
  const concrete = members.filter((m) => m !== null);
  const text = `${ctx.focus ? quote(ctx.focus) : ''}\n${ctx.material.corpus}`;
  const mentioned = concrete.find((m) => typeof m === 'string' && m.length > 1 && mentions(text, m));
  return mentioned ?? concrete[0] ?? null;
}

function objectAnswer(schema: JsonSchema, ctx: Context): Record<string, unknown> {
  const properties = isRecord(schema.properties) ? (schema.properties as Record<string, JsonSchema>) : {};
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  const out: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(properties)) {
    const value = generate(property, { ...ctx, names: [...ctx.names, name], depth: ctx.depth + 1 });
    // A non-strict schema may leave optional fields out rather than null them.
    if (value === null && !required.has(name) && !nullable(resolve(property, ctx.root))) continue;
    out[name] = value;
  }
  return out;
}

/** The facts a list is about: those of the kind its name points at, else the most telling. */
function factsFor(schema: JsonSchema, ctx: Context, min: number): Fact[] {
  const { facts } = ctx.material;
  if (ctx.focus) {
    // A list inside an item is about that item: the sentences of its line.
    const focus = ctx.focus;
    const same = facts.filter((f) => f.line === focus.line);
    return same.length >= Math.max(min, 1) ? same : [focus, ...same.filter((f) => f !== focus)];
  }
  const kind: FactKind | undefined =
    kindOfWords(hintWords(ctx)) ??
    kindOfWords(wordsOf(typeof schema.description === 'string' ? schema.description : ''));
  const salient = () => {
    const ranked = [...facts.filter((f) => f.kind !== 'other'), ...facts.filter((f) => f.kind === 'other')];
    return ranked.slice(0, Math.max(min, GENERIC_MAX_ITEMS));
  };
  if (!kind) return salient();
  const matching = facts.filter((f) => f.kind === kind);
  return matching.length >= min ? matching : [...matching, ...salient()];
}

function arrayAnswer(schema: JsonSchema, ctx: Context): unknown[] {
  const min = typeof schema.minItems === 'number' ? schema.minItems : 0;
  const max = typeof schema.maxItems === 'number' ? schema.maxItems : DEFAULT_MAX_ITEMS;
  const items = isRecord(schema.items) ? (schema.items as JsonSchema) : {};
  const itemSchema = resolve(items, ctx.root);
  const itemTypes = typesOf(itemSchema);
  const out: unknown[] = [];
  const seen = new Set<string>();
  const add = (value: unknown) => {
    const key = JSON.stringify(value);
    if (seen.has(key)) return;
    seen.add(key);
    out.push(value);
  };
  const childCtx = (focus: Fact | undefined): Context => ({ ...ctx, focus, depth: ctx.depth + 1 });
  if (isTagList(ctx) && itemTypes.includes('string') && !Array.isArray(itemSchema.enum)) {
    for (const tag of tagsOf(ctx.material)) if (out.length < max) add(tag);
  } else if (Array.isArray(itemSchema.enum)) {
    const members = (itemSchema.enum as unknown[]).filter((m) => m !== null);
    const mentioned = members.filter((m) => typeof m === 'string' && mentions(ctx.material.corpus, m));
    for (const m of mentioned.length > 0 ? mentioned : members.slice(0, Math.max(min, 1))) add(m);
  } else if (itemTypes.includes('object') || itemTypes.includes('string') || itemTypes.length === 0) {
    for (const fact of factsFor(schema, ctx, min)) {
      if (out.length >= max) break;
      add(generate(items, childCtx(fact)));
    }
  } else {
    add(generate(items, childCtx(undefined)));
  }
  for (let i = 0; out.length < min && i < min + 3; i++) {
    const value = generate(items, childCtx(ctx.material.facts[i]));
    if (schema.uniqueItems === true && seen.has(JSON.stringify(value))) {
      if (typeof value === 'string') add(`${value} (${out.length + 1})`);
      else if (typeof value === 'number') add(value + out.length);
    } else {
      out.push(value);
      seen.add(JSON.stringify(value));
    }
  }
  return out.slice(0, max);
}

function isTagList(ctx: Context): boolean {
  return hintWords(ctx).some((w) =>
    ['tag', 'tags', 'keywords', 'labels', 'categories', 'topics'].includes(w),
  );
}

/** Short tags: the kinds of facts found and the words of the title. */
function tagsOf(material: AnswerMaterial): string[] {
  const kinds: Record<string, string> = {
    decision: 'decisions',
    action: 'action-items',
    question: 'open-questions',
    risk: 'risks',
  };
  const found = Object.keys(kinds).filter((k) => material.facts.some((f) => f.kind === k));
  const title = wordsOf(material.title ?? '').filter((w) => w.length > 3 && !/^\d+$/.test(w));
  return [...new Set([...found.map((k) => kinds[k]!), ...title])];
}

function numberAnswer(schema: JsonSchema, ctx: Context, integer: boolean): number {
  const words = hintWords(ctx);
  const has = (...w: string[]) => words.some((x) => w.includes(x));
  const min = numericBound(schema, 'minimum', 'exclusiveMinimum', integer, 1);
  const max = numericBound(schema, 'maximum', 'exclusiveMaximum', integer, -1);
  let value: number;
  if (has('count', 'total', 'number', 'num', 'n', 'amount')) {
    const kind = kindOfWords(words);
    value = kind ? ctx.material.facts.filter((f) => f.kind === kind).length : ctx.material.facts.length;
  } else if (has('score', 'confidence', 'probability', 'ratio', 'rate', 'share', 'percent', 'percentage')) {
    value = max !== undefined && max <= 1 ? 0.8 : 80;
  } else if (has('priority', 'severity', 'rank', 'level', 'rating')) {
    value = 2;
  } else if (has('year')) {
    value = new Date().getFullYear();
  } else if (min !== undefined && max !== undefined) {
    value = (min + max) / 2;
  } else {
    value = Math.max(1, ctx.material.facts.length);
  }
  if (integer) value = Math.round(value);
  if (max !== undefined) value = Math.min(value, max);
  if (min !== undefined) value = Math.max(value, min);
  if (typeof schema.multipleOf === 'number' && schema.multipleOf > 0) {
    const step = schema.multipleOf;
    value = Math.ceil(value / step) * step;
    if (max !== undefined && value > max) value -= step;
  }
  if (integer) value = Math.round(value);
  return value;
}

function numericBound(
  schema: JsonSchema,
  inclusive: string,
  exclusive: string,
  integer: boolean,
  direction: 1 | -1,
): number | undefined {
  const epsilon = integer ? 1 : 1e-6;
  const exclusiveValue = schema[exclusive];
  if (typeof exclusiveValue === 'number') return exclusiveValue + direction * epsilon;
  const value = schema[inclusive];
  if (typeof value !== 'number') return undefined;
  // Draft 4: `exclusiveMinimum: true` next to `minimum`.
  return exclusiveValue === true ? value + direction * epsilon : value;
}

function booleanAnswer(ctx: Context): boolean {
  const kind = kindOfWords(wordsOf(ctx.names[ctx.names.length - 1] ?? ''));
  return kind ? ctx.material.facts.some((f) => f.kind === kind) : true;
}

function stringAnswer(schema: JsonSchema, ctx: Context): string {
  const format = typeof schema.format === 'string' ? schema.format : undefined;
  let text = formatted(format) ?? roleText(schema, ctx);
  const minLength = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const maxLength = typeof schema.maxLength === 'number' ? schema.maxLength : undefined;
  if (text.length < minLength) text = (text ? `${text} ` : '') + ctx.material.summary;
  while (text.length < minLength) text += ' …';
  if (maxLength !== undefined && text.length > maxLength) {
    const cut = text.slice(0, maxLength);
    const word = cut.lastIndexOf(' ');
    text = word > maxLength / 2 && word >= minLength ? cut.slice(0, word) : cut;
  }
  if (typeof schema.pattern === 'string') {
    const pattern = new RegExp(schema.pattern, 'u');
    if (!pattern.test(text)) {
      const fitting = [
        ctx.material.title,
        ...ctx.material.facts.map((f) => f.text),
        ...wordsOf(ctx.material.corpus),
      ].find((c): c is string => c !== undefined && pattern.test(c));
      if (fitting) text = fitting;
    }
  }
  return text;
}

function formatted(format: string | undefined): string | undefined {
  const now = new Date();
  switch (format) {
    case 'date-time':
      return now.toISOString();
    case 'date':
      return now.toISOString().slice(0, 10);
    case 'time':
      return now.toISOString().slice(11, 19) + 'Z';
    case 'email':
      return 'team@example.com';
    case 'uri':
    case 'url':
      return 'https://example.com/';
    case 'uuid':
      return randomUUID();
    case 'hostname':
      return 'example.com';
    case 'ipv4':
      return '127.0.0.1';
    case 'duration':
      return 'PT30M';
    default:
      return undefined;
  }
}

function roleText(schema: JsonSchema, ctx: Context): string {
  const { focus, material } = ctx;
  const name = ctx.names[ctx.names.length - 1];
  const field = name !== undefined ? focus?.fields?.[name] : undefined;
  if (field !== undefined) return field;
  switch (roleOf(ctx)) {
    case 'owner':
      return ownerOf(focus) ?? 'unassigned';
    case 'due':
      return focus?.due ?? focus?.fields?.due ?? 'no date';
    case 'title':
      return focus ? focus.text : (material.title ?? 'Summary');
    case 'summary':
      return material.summary;
    case 'url':
      return 'https://example.com/';
    case 'email':
      return 'team@example.com';
    case 'path':
      return 'notes/output.md';
    case 'id':
      return focus ? slug(focus.text) : slug(material.title ?? 'item');
    default: {
      if (focus) return focus.fields?.task ?? quote(focus);
      const kind = kindOfWords(hintWords(ctx));
      const fact = kind ? material.facts.find((f) => f.kind === kind) : undefined;
      return fact ? quote(fact) : material.summary;
    }
  }
}

function slug(text: string): string {
  return wordsOf(text).slice(0, 5).join('-') || 'item';
}

/** A value of another JSON type than the schema allows, or undefined when any type is allowed. */
function wrongType(schema: JsonSchema, value: unknown): unknown {
  const types = typesOf(schema);
  if (types.length === 0) return undefined;
  if (Array.isArray(schema.enum) && types.every((t) => t === 'string' || t === 'null')) return 0;
  if (!types.includes('string')) return textOfValue(value);
  if (!types.includes('number') && !types.includes('integer')) return 42;
  if (!types.includes('array')) return [value];
  if (!types.includes('boolean')) return true;
  return undefined;
}

function textOfValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    return value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join('; ') || 'none';
  }
  return JSON.stringify(value) ?? 'none';
}
