import { createHash } from 'node:crypto';

/** Namespace of gate-decision event ids (a fixed random UUID; changing it re-keys every id). */
export const GATE_DECISION_NAMESPACE = '3f7c9a52-6d1e-4b8a-9e0f-5a2c7d4e1b63';

/**
 * RFC 9562 UUIDv5 (SHA-1, name-based): the same namespace and name always give the same id, so a
 * retried or replayed write of the same fact collides on the primary key instead of duplicating.
 */
export function uuidV5(name: string, namespace: string = GATE_DECISION_NAMESPACE): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  if (ns.length !== 16) throw new RangeError(`namespace must be a UUID, got "${namespace}"`);
  const bytes = createHash('sha1').update(ns).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
