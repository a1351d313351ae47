import root from '@temporalio/proto/protos/json-module.js';

/**
 * A protobuf message in its plain-object form, as used throughout the engine: camelCase fields,
 * enums as their names (`'EVENT_TYPE_TIMER_FIRED'`), int64 as JS numbers, bytes as Buffers,
 * `Timestamp`/`Duration` as `{ seconds, nanos }` and `google.protobuf.Any` as `{ type_url, value }`.
 */
export type Msg = Record<string, unknown>;

/** Options that turn a decoded protobufjs message into the engine's plain-object form. */
const TO_OBJECT = { longs: Number, enums: String, bytes: Buffer, defaults: false } as const;

/** Package prefixes of the services the devserver answers. */
export const WORKFLOW_SERVICE = 'temporal.api.workflowservice.v1.WorkflowService';
export const HEALTH_SERVICE = 'grpc.health.v1.Health';
export const OPERATOR_SERVICE = 'temporal.api.operatorservice.v1.OperatorService';

/** The part of a protobufjs reflection type the engine uses. */
export interface ProtoType {
  readonly fullName: string;
  decode(bytes: Uint8Array): object;
  encode(message: object): { finish(): Uint8Array };
  fromObject(obj: object): object;
  toObject(message: object, options: object): Msg;
}

interface ProtoRoot {
  lookupType(name: string): ProtoType;
  lookupService(name: string): {
    methods: Record<
      string,
      { resolve(): { resolvedRequestType: ProtoType | null; resolvedResponseType: ProtoType | null } }
    >;
  };
}

/** The reflection root of the whole Temporal API shipped in `@temporalio/proto`. */
export const protoRoot = root as ProtoRoot;

const typeCache = new Map<string, ProtoType>();

/** Looks up (and caches) a message type by its fully qualified name. */
export function messageType(name: string): ProtoType {
  let type = typeCache.get(name);
  if (!type) {
    type = protoRoot.lookupType(name);
    typeCache.set(name, type);
  }
  return type;
}

/** Decodes wire bytes into the engine's plain-object form. */
export function decodeMessage(type: ProtoType, bytes: Uint8Array): Msg {
  return type.toObject(type.decode(bytes), TO_OBJECT);
}

/** Encodes a plain object (enum names, numbers or strings for int64) into wire bytes. */
export function encodeMessage(type: ProtoType, obj: Msg): Buffer {
  return Buffer.from(type.encode(type.fromObject(obj)).finish());
}

/** Encodes a message into a `google.protobuf.Any`. */
export function packAny(typeName: string, obj: Msg): { type_url: string; value: Buffer } {
  return { type_url: `type.googleapis.com/${typeName}`, value: encodeMessage(messageType(typeName), obj) };
}
