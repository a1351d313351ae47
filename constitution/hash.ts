import { createHash } from 'node:crypto';
import { canonicalize } from './canonical';

/**
 * Hashing lives here, apart from scoring, so the evaluation path stays free of Node built-ins.
 */

/** `sha256:<hex>` of a UTF-8 string. */
export function sha256(text: string): string {
  return `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}

/** `sha256:<hex>` of a value's canonical JSON: the identity of a constitution version. */
export function canonicalHash(value: unknown): string {
  return sha256(canonicalize(value));
}
