import { InvalidArgumentError } from '../errors';
import { decodeMessage, encodeMessage, protoRoot, type Msg, type ProtoType } from '../proto';
import { messageInfo, lowerCamel, snakeCase, type FieldInfo, type ReflectedEnum } from './reflection';
import { durationFromJson, durationToJson, timestampFromJson, timestampToJson } from './well-known-json';

/**
 * The proto3 JSON mapping as Temporal's HTTP API speaks it, driven by the reflection types of
 * `@temporalio/proto`:
 *
 * - input (`requestFromJson`): lowerCamelCase or original snake_case names; enums as names (also
 *   without their type prefix or in PascalCase, like Temporal's unmarshaler) or numbers; int64 as
 *   strings or numbers; bytes base64 (standard or URL-safe); Timestamp RFC 3339; Duration
 *   `"1.5s"`; `Any` with `@type`; wrappers, Struct/Value and FieldMask in their JSON forms; `null`
 *   = unset. Unknown fields are refused, like protojson without DiscardUnknown.
 * - output (`responseToJson`): lowerCamelCase names, enums by full name, int64 as decimal
 *   strings, bytes base64, Timestamp/Duration strings, default values omitted, maps as objects.
 *   Payloads stay full `{metadata, data}` objects (the Web UI's gateway sends no shorthand).
 *
 * Both go through the wire format, so the engine sees exactly what a gRPC call would decode to.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** protobufjs `toObject` options for the output side (int64 and bytes as strings, enums by name). */
const TO_JSON_OBJECT = { longs: String, enums: String, bytes: String, defaults: false } as const;

const INT32 = new Set(['int32', 'sint32', 'sfixed32', 'uint32', 'fixed32']);
const INT64 = new Set(['int64', 'sint64', 'sfixed64', 'uint64', 'fixed64']);
const WRAPPERS: Record<string, string> = {
  'google.protobuf.DoubleValue': 'double',
  'google.protobuf.FloatValue': 'float',
  'google.protobuf.Int64Value': 'int64',
  'google.protobuf.UInt64Value': 'uint64',
  'google.protobuf.Int32Value': 'int32',
  'google.protobuf.UInt32Value': 'uint32',
  'google.protobuf.BoolValue': 'bool',
  'google.protobuf.StringValue': 'string',
  'google.protobuf.BytesValue': 'bytes',
};
/** Well-known types whose JSON is not an object of their fields (inside Any: `{"@type", "value"}`). */
const SPECIAL_JSON = new Set([
  'google.protobuf.Timestamp',
  'google.protobuf.Duration',
  'google.protobuf.FieldMask',
  'google.protobuf.Struct',
  'google.protobuf.Value',
  'google.protobuf.ListValue',
  ...Object.keys(WRAPPERS),
]);

function typeName(type: ProtoType): string {
  return type.fullName.replace(/^\./, '');
}

function lookupAnyType(typeUrl: string): ProtoType | undefined {
  const name = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
  if (!name) return undefined;
  try {
    return protoRoot.lookupType(name);
  } catch {
    return undefined;
  }
}

function describe(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

function invalid(path: string, expected: string, value: unknown): InvalidArgumentError {
  return new InvalidArgumentError(`${path || 'request'}: invalid value ${describe(value)} for ${expected}`);
}

// ---------------------------------------------------------------------------------------------
// JSON → engine message

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function enumFromJson(enumType: ReflectedEnum, value: Json, path: string): string | number {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string') {
    if (value in enumType.values) return value;
    // Temporal's unmarshaler also takes the short forms: `COMPLETED`, `Completed`.
    const names = Object.keys(enumType.values);
    const prefix = names[0]?.replace(/UNSPECIFIED$/, '') ?? '';
    const screaming =
      value.includes('_') || value === value.toUpperCase() ? value : snakeCase(value).replace(/^_/, '');
    const candidate = `${prefix}${screaming.toUpperCase()}`;
    if (candidate in enumType.values) return candidate;
  }
  throw invalid(path, `enum ${enumType.fullName.replace(/^\./, '')}`, value);
}

function scalarFromJson(type: string, value: Json, path: string): unknown {
  if (type === 'string') {
    if (typeof value === 'string') return value;
  } else if (type === 'bool') {
    if (typeof value === 'boolean') return value;
  } else if (type === 'bytes') {
    if (typeof value === 'string' && BASE64.test(value)) return Buffer.from(value, 'base64');
    throw invalid(path, 'bytes (base64)', value);
  } else if (INT64.has(type)) {
    if (typeof value === 'number' && Number.isInteger(value)) return String(value);
    if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return value.trim();
  } else if (INT32.has(type)) {
    const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof n === 'number' && Number.isInteger(n)) return n;
  } else if (type === 'double' || type === 'float') {
    if (typeof value === 'number') return value;
    if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') return Number(value);
    if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)))
      return Number(value);
  }
  throw invalid(path, type, value);
}

function valueFromJson(value: Json): Msg {
  if (value === null) return { nullValue: 'NULL_VALUE' };
  if (typeof value === 'number') return { numberValue: value };
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (Array.isArray(value)) return { listValue: { values: value.map(valueFromJson) } };
  return { structValue: structFromJson(value) };
}

function structFromJson(value: JsonObject): Msg {
  return { fields: Object.fromEntries(Object.entries(value).map(([k, v]) => [k, valueFromJson(v)])) };
}

function anyFromJson(value: JsonObject, path: string): Msg {
  const typeUrl = value['@type'];
  if (typeof typeUrl !== 'string') throw invalid(path, 'google.protobuf.Any (an object with "@type")', value);
  const inner = lookupAnyType(typeUrl);
  if (!inner)
    throw new InvalidArgumentError(`${path}: unknown message type ${JSON.stringify(typeUrl)} in "@type"`);
  const { '@type': _type, ...rest } = value;
  const body: Json = SPECIAL_JSON.has(typeName(inner)) ? (rest.value ?? null) : rest;
  const obj = messageFromJson(inner, body, path);
  return { type_url: typeUrl, value: Buffer.from(inner.encode(inner.fromObject(obj)).finish()) };
}

/** A JSON value of message type `type` → an object protobufjs `fromObject` takes. */
function messageFromJson(type: ProtoType, value: Json, path: string): Msg {
  const name = typeName(type);
  switch (name) {
    case 'google.protobuf.Timestamp':
      if (typeof value === 'string') return timestampFromJson(value, path);
      throw invalid(path, 'google.protobuf.Timestamp (an RFC 3339 string)', value);
    case 'google.protobuf.Duration':
      if (typeof value === 'string') return durationFromJson(value, path);
      throw invalid(path, 'google.protobuf.Duration (a string like "1.5s")', value);
    case 'google.protobuf.FieldMask':
      if (typeof value === 'string') {
        return {
          paths: value === '' ? [] : value.split(',').map((p) => p.split('.').map(snakeCase).join('.')),
        };
      }
      throw invalid(path, 'google.protobuf.FieldMask (a comma-separated string)', value);
    case 'google.protobuf.Value':
      return valueFromJson(value);
    case 'google.protobuf.Struct':
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) return structFromJson(value);
      throw invalid(path, 'google.protobuf.Struct (an object)', value);
    case 'google.protobuf.ListValue':
      if (Array.isArray(value)) return { values: value.map(valueFromJson) };
      throw invalid(path, 'google.protobuf.ListValue (an array)', value);
    default:
      break;
  }
  const wrapped = WRAPPERS[name];
  if (wrapped) return { value: scalarFromJson(wrapped, value, path) };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalid(path, `message ${name} (an object)`, value);
  }
  if (name === 'google.protobuf.Any') return anyFromJson(value, path);
  const info = messageInfo(type);
  const out: Msg = {};
  for (const [key, fieldValue] of Object.entries(value)) {
    const field = info.field(key);
    const fieldPath = path ? `${path}.${key}` : key;
    if (!field)
      throw new InvalidArgumentError(`${fieldPath}: unknown field ${JSON.stringify(key)} in ${name}`);
    if (fieldValue === null && field.type !== 'google.protobuf.Value') continue;
    out[field.key] = fieldFromJson(field, fieldValue, fieldPath);
  }
  return out;
}

function singleFromJson(field: FieldInfo, value: Json, path: string): unknown {
  if (field.message) return messageFromJson(field.message, value, path);
  if (field.enumType) return enumFromJson(field.enumType, value, path);
  return scalarFromJson(field.type, value, path);
}

function fieldFromJson(field: FieldInfo, value: Json, path: string): unknown {
  if (field.map) {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw invalid(path, 'a map (an object)', value);
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== null)
        .map(([k, v]) => [k, singleFromJson(field, v, `${path}[${JSON.stringify(k)}]`)]),
    );
  }
  if (field.repeated) {
    if (!Array.isArray(value)) throw invalid(path, 'a repeated field (an array)', value);
    return value.filter((v) => v !== null).map((v, i) => singleFromJson(field, v, `${path}[${i}]`));
  }
  return singleFromJson(field, value, path);
}

/**
 * A JSON request (already merged with path and query values) → the engine's plain-object form of
 * `type`, as if it had arrived over gRPC.
 * @throws {InvalidArgumentError} naming the field at fault.
 */
export function requestFromJson(type: ProtoType, json: Json): Msg {
  const obj = messageFromJson(type, json, '');
  return decodeMessage(type, type.encode(type.fromObject(obj)).finish());
}

// ---------------------------------------------------------------------------------------------
// engine message → JSON

/** The shortest decimal that reads back as the same float32 (what Go prints for a `float`). */
function float32Json(value: number): number {
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === value) return candidate;
  }
  return value;
}

function numberJson(value: number): Json {
  return Number.isFinite(value) ? value : String(value);
}

function isDefaultScalar(field: FieldInfo, value: unknown): boolean {
  if (field.enumType) return value === 0 || value === field.enumType.valuesById[0];
  return value === '' || value === 0 || value === '0' || value === false;
}

function scalarToJson(field: FieldInfo | { type: string }, value: unknown): Json {
  if (typeof value === 'number') return numberJson(field.type === 'float' ? float32Json(value) : value);
  return value as Json;
}

function valueToJson(value: Msg): Json {
  if ('numberValue' in value) return numberJson(value.numberValue as number);
  if ('stringValue' in value) return value.stringValue as string;
  if ('boolValue' in value) return value.boolValue as boolean;
  if ('structValue' in value) return structToJson(value.structValue as Msg);
  if ('listValue' in value)
    return ((value.listValue as Msg).values as Msg[] | undefined)?.map(valueToJson) ?? [];
  return null;
}

function structToJson(value: Msg): JsonObject {
  const fields = (value.fields ?? {}) as Record<string, Msg>;
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, valueToJson(v)]));
}

function anyToJson(value: Msg): Json {
  const typeUrl = typeof value.type_url === 'string' ? value.type_url : '';
  const inner = lookupAnyType(typeUrl);
  const bytes = typeof value.value === 'string' ? value.value : '';
  // Go's protojson refuses to print an Any it cannot resolve; keep the bytes instead of failing.
  if (!inner) return { '@type': typeUrl, value: bytes };
  const decoded = inner.toObject(inner.decode(Buffer.from(bytes, 'base64')), TO_JSON_OBJECT);
  const json = messageToJson(inner, decoded);
  if (SPECIAL_JSON.has(typeName(inner))) return { '@type': typeUrl, value: json };
  return { '@type': typeUrl, ...(json as JsonObject) };
}

/** A protobufjs `toObject` (TO_JSON_OBJECT) result of `type` → proto3 JSON. */
function messageToJson(type: ProtoType, obj: Msg): Json {
  const name = typeName(type);
  switch (name) {
    case 'google.protobuf.Timestamp':
      return timestampToJson(obj);
    case 'google.protobuf.Duration':
      return durationToJson(obj);
    case 'google.protobuf.FieldMask':
      return ((obj.paths as string[] | undefined) ?? [])
        .map((p) => p.split('.').map(lowerCamel).join('.'))
        .join(',');
    case 'google.protobuf.Value':
      return valueToJson(obj);
    case 'google.protobuf.Struct':
      return structToJson(obj);
    case 'google.protobuf.ListValue':
      return ((obj.values as Msg[] | undefined) ?? []).map(valueToJson);
    case 'google.protobuf.Any':
      return anyToJson(obj);
    default:
      break;
  }
  const wrapped = WRAPPERS[name];
  if (wrapped)
    return scalarToJson(
      { type: wrapped },
      obj.value ?? (wrapped === 'bool' ? false : wrapped === 'string' || wrapped === 'bytes' ? '' : 0),
    );
  const out: JsonObject = {};
  for (const field of messageInfo(type).fields) {
    const value = obj[field.key];
    if (value === undefined || value === null) continue;
    if (field.map) {
      const entries = Object.entries(value as Record<string, unknown>);
      if (entries.length > 0)
        out[field.jsonName] = Object.fromEntries(entries.map(([k, v]) => [k, singleToJson(field, v)]));
    } else if (field.repeated) {
      const items = value as unknown[];
      if (items.length > 0) out[field.jsonName] = items.map((v) => singleToJson(field, v));
    } else if (field.presence || field.message || !isDefaultScalar(field, value)) {
      out[field.jsonName] = singleToJson(field, value);
    }
  }
  return out;
}

function singleToJson(field: FieldInfo, value: unknown): Json {
  if (field.message) return messageToJson(field.message, value as Msg);
  return scalarToJson(field, value);
}

/** An engine message of `type` → its proto3 JSON, as Temporal's HTTP API (and the UI's gateway) sends it. */
export function responseToJson(type: ProtoType, msg: Msg): JsonObject {
  const obj = type.toObject(type.decode(encodeMessage(type, msg)), TO_JSON_OBJECT);
  return messageToJson(type, obj) as JsonObject;
}
