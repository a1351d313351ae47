import type { JsonValue } from '../../workflows/shared/types';

/**
 * `google.protobuf.Struct` / `Value` as proto-loader hands them over (`{fields: {...}}`,
 * `{stringValue: ...}` with `kind` naming the set member) to and from plain JSON.
 */
export interface ProtoValue {
  nullValue?: 'NULL_VALUE' | number;
  numberValue?: number;
  stringValue?: string;
  boolValue?: boolean;
  structValue?: ProtoStruct;
  listValue?: { values?: ProtoValue[] };
  kind?: string;
}
export interface ProtoStruct {
  fields?: Record<string, ProtoValue>;
}

export function toProtoValue(value: JsonValue | undefined): ProtoValue {
  if (value === null || value === undefined) return { nullValue: 'NULL_VALUE', kind: 'nullValue' };
  if (typeof value === 'number') return { numberValue: value, kind: 'numberValue' };
  if (typeof value === 'string') return { stringValue: value, kind: 'stringValue' };
  if (typeof value === 'boolean') return { boolValue: value, kind: 'boolValue' };
  if (Array.isArray(value)) return { listValue: { values: value.map(toProtoValue) }, kind: 'listValue' };
  return { structValue: toProtoStruct(value), kind: 'structValue' };
}

export function toProtoStruct(object: { [key: string]: JsonValue }): ProtoStruct {
  return { fields: Object.fromEntries(Object.entries(object).map(([k, v]) => [k, toProtoValue(v)])) };
}

export function fromProtoValue(value: ProtoValue | null | undefined): JsonValue {
  if (!value) return null;
  switch (value.kind) {
    case 'numberValue':
      return value.numberValue ?? 0;
    case 'stringValue':
      return value.stringValue ?? '';
    case 'boolValue':
      return value.boolValue ?? false;
    case 'structValue':
      return fromProtoStruct(value.structValue);
    case 'listValue':
      return (value.listValue?.values ?? []).map(fromProtoValue);
    default:
      return null;
  }
}

export function fromProtoStruct(struct: ProtoStruct | null | undefined): { [key: string]: JsonValue } {
  return Object.fromEntries(Object.entries(struct?.fields ?? {}).map(([k, v]) => [k, fromProtoValue(v)]));
}

/** `google.protobuf.Timestamp` from a date (or an ISO string). */
export function toTimestamp(at: Date | string | null | undefined): { seconds: number; nanos: number } | null {
  if (at === null || at === undefined) return null;
  const ms = (typeof at === 'string' ? new Date(at) : at).getTime();
  if (!Number.isFinite(ms)) return null;
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}
