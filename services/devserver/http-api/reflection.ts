import type { ProtoType } from '../proto';

/** The parts of a protobufjs reflected enum the JSON mapping reads. */
export interface ReflectedEnum {
  readonly fullName: string;
  readonly values: Record<string, number>;
  readonly valuesById: Record<number, string>;
}

/** The parts of a protobufjs reflected message type the JSON mapping reads. */
export interface ReflectedType extends ProtoType {
  readonly fieldsArray: ReflectedField[];
}

interface ReflectedField {
  readonly name: string;
  readonly type: string;
  readonly repeated: boolean;
  readonly map: boolean;
  readonly keyType?: string;
  readonly partOf: unknown;
  resolve(): { resolvedType: ReflectedType | ReflectedEnum | null };
}

/** One field of a message as the proto3 JSON mapping sees it. */
export interface FieldInfo {
  /** The protobufjs (plain-object) key: camelCase for Temporal types, snake_case for some google ones. */
  readonly key: string;
  /** lowerCamelCase name used in JSON output. */
  readonly jsonName: string;
  /** Original `snake_case` proto name (accepted on input, used in path templates and query params). */
  readonly protoName: string;
  /** Scalar type name (`int64`, `string`, ...) or the message/enum type name. */
  readonly type: string;
  readonly repeated: boolean;
  readonly map: boolean;
  readonly keyType: string | undefined;
  readonly message: ReflectedType | undefined;
  readonly enumType: ReflectedEnum | undefined;
  /** Explicit presence (message, oneof member, proto3 `optional`): a default value is still written. */
  readonly presence: boolean;
}

/** Message fields by every name JSON input may use for them. */
export interface MessageInfo {
  readonly fullName: string;
  readonly fields: readonly FieldInfo[];
  /** Field by its key, JSON name, proto name or (case-insensitive, underscores dropped) spelling. */
  field(name: string): FieldInfo | undefined;
}

/** `workflow_id` → `workflowId`. */
export function lowerCamel(name: string): string {
  return name.replace(/_([a-z0-9])/gi, (_m, c: string) => c.toUpperCase());
}

/** `workflowId` → `workflow_id`. */
export function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

const loose = (name: string): string => name.replace(/_/g, '').toLowerCase();

const cache = new Map<string, MessageInfo>();

function isEnum(type: ReflectedType | ReflectedEnum | null): type is ReflectedEnum {
  return type !== null && 'valuesById' in type;
}

/** Field metadata of a message type, built once per type. */
export function messageInfo(type: ProtoType): MessageInfo {
  const cached = cache.get(type.fullName);
  if (cached) return cached;
  const fields = (type as ReflectedType).fieldsArray.map((f): FieldInfo => {
    const resolved = f.resolve().resolvedType;
    const message = resolved && !isEnum(resolved) ? resolved : undefined;
    return {
      key: f.name,
      jsonName: lowerCamel(f.name),
      protoName: f.name.includes('_') ? f.name : snakeCase(f.name),
      type: resolved ? resolved.fullName.replace(/^\./, '') : f.type,
      repeated: f.repeated,
      map: f.map,
      keyType: f.keyType,
      message,
      enumType: isEnum(resolved) ? resolved : undefined,
      presence: Boolean(f.partOf) || (message !== undefined && !f.repeated && !f.map),
    };
  });
  const byName = new Map<string, FieldInfo>();
  for (const f of fields) {
    byName.set(f.key, f);
    byName.set(f.jsonName, f);
    byName.set(f.protoName, f);
  }
  const byLooseName = new Map(fields.map((f) => [loose(f.key), f]));
  const info: MessageInfo = {
    fullName: type.fullName.replace(/^\./, ''),
    fields,
    field: (name) => byName.get(name) ?? byLooseName.get(loose(name)),
  };
  cache.set(type.fullName, info);
  return info;
}
