import { InvalidArgumentError } from '../errors';
import type { ProtoType } from '../proto';
import type { Json, JsonObject } from './proto-json';
import { messageInfo, type FieldInfo } from './reflection';

/**
 * Path variables and query parameters → fields of the JSON request, grpc-gateway style: a dotted
 * name (`execution.runId` or `execution.run_id`) sets a nested field, a repeated field takes
 * every value of a repeated parameter, and string values become the JSON value the field's type
 * takes (so the one JSON mapping converts them). Unknown query parameters are ignored, as
 * grpc-gateway does; an unknown path field is a bug in the route table and throws.
 */

/** Well-known message types a query parameter may set from one string. */
const STRING_FORM_MESSAGES = new Set([
  'google.protobuf.Timestamp',
  'google.protobuf.Duration',
  'google.protobuf.FieldMask',
  'google.protobuf.DoubleValue',
  'google.protobuf.FloatValue',
  'google.protobuf.Int64Value',
  'google.protobuf.UInt64Value',
  'google.protobuf.Int32Value',
  'google.protobuf.UInt32Value',
  'google.protobuf.BoolValue',
  'google.protobuf.StringValue',
  'google.protobuf.BytesValue',
]);

const TRUE = new Set(['true', 't', '1', 'TRUE', 'True', 'T']);
const FALSE = new Set(['false', 'f', '0', 'FALSE', 'False', 'F']);

function fromString(field: FieldInfo, value: string, name: string): Json {
  const { type } = field;
  if (type === 'bool' || type === 'google.protobuf.BoolValue') {
    if (TRUE.has(value)) return true;
    if (FALSE.has(value)) return false;
    throw new InvalidArgumentError(`${name}: invalid value ${JSON.stringify(value)} for bool`);
  }
  if (field.enumType && /^-?\d+$/.test(value)) return Number(value);
  // Query strings turn "+" into " "; base64 never has a space, so put the "+" back.
  if (type === 'bytes' || type === 'google.protobuf.BytesValue') return value.replace(/ /g, '+');
  return value;
}

/** Resolves a dotted field path on `type`; undefined if a segment names no field. */
function resolvePath(type: ProtoType, path: string): { fields: FieldInfo[]; leaf: FieldInfo } | undefined {
  const fields: FieldInfo[] = [];
  let current: ProtoType | undefined = type;
  for (const segment of path.split('.')) {
    if (!current) return undefined;
    const field = messageInfo(current).field(segment);
    if (!field) return undefined;
    fields.push(field);
    current = field.message && !STRING_FORM_MESSAGES.has(field.type) ? field.message : undefined;
  }
  return { fields, leaf: fields[fields.length - 1]! };
}

function setPath(target: JsonObject, fields: FieldInfo[], value: Json): void {
  let node = target;
  for (const field of fields.slice(0, -1)) {
    const next = node[field.jsonName];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) {
      const created: JsonObject = {};
      node[field.jsonName] = created;
      node = created;
    } else {
      node = next;
    }
  }
  const leaf = fields[fields.length - 1]!;
  // A proto name in the body (e.g. `workflow_id`) must not survive next to the path's value.
  delete node[leaf.protoName];
  node[leaf.jsonName] = value;
}

/** Sets the path variables (field path → decoded segment) on the request; they win over the body. */
export function applyPathParams(
  type: ProtoType,
  request: JsonObject,
  params: ReadonlyMap<string, string>,
): void {
  for (const [path, value] of params) {
    const resolved = resolvePath(type, path);
    if (!resolved || resolved.leaf.repeated || resolved.leaf.map) {
      throw new Error(`http route variable ${path} names no singular field of ${type.fullName}`);
    }
    setPath(request, resolved.fields, fromString(resolved.leaf, value, path));
  }
}

/**
 * Sets query parameters on the request, except the fields the path binds. Message fields other
 * than the string-form well-known types cannot be set from a query string.
 */
export function applyQueryParams(
  type: ProtoType,
  request: JsonObject,
  query: URLSearchParams,
  pathFields: ReadonlySet<string>,
): void {
  for (const name of new Set(query.keys())) {
    const resolved = resolvePath(type, name);
    if (!resolved) continue;
    const canonical = resolved.fields.map((f) => f.protoName).join('.');
    if (pathFields.has(canonical)) continue;
    const { leaf } = resolved;
    if (leaf.map || (leaf.message && !STRING_FORM_MESSAGES.has(leaf.type))) {
      throw new InvalidArgumentError(
        `query parameter ${name}: field ${leaf.jsonName} cannot be set from a query string`,
      );
    }
    const values = query.getAll(name);
    if (leaf.repeated) {
      setPath(
        request,
        resolved.fields,
        values.map((v) => fromString(leaf, v, name)),
      );
    } else {
      if (values.length > 1) {
        throw new InvalidArgumentError(
          `query parameter ${name}: too many values (${values.length}) for a singular field`,
        );
      }
      setPath(request, resolved.fields, fromString(leaf, values[0]!, name));
    }
  }
}

/** The canonical (proto-name) path of each route variable, to keep query values off them. */
export function canonicalPaths(type: ProtoType, paths: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const path of paths) {
    const resolved = resolvePath(type, path);
    if (resolved) out.add(resolved.fields.map((f) => f.protoName).join('.'));
  }
  return out;
}
