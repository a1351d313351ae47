import { parseSearchAttributeType, type SearchAttributeType } from './search-attributes';

/** A search-attribute payload as the engine sends and receives it (json/plain + metadata.type). */
export interface SearchAttributePayload {
  metadata: { encoding: Uint8Array; type: Uint8Array };
  data: Uint8Array;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Encodes a value the way the TS client's search-attribute converter decodes it: json/plain
 * with `metadata.type`, without which `typedSearchAttributes` comes back empty (DEVSERVER §8.3).
 */
export function encodeSearchAttributePayload(
  value: unknown,
  type: SearchAttributeType,
): SearchAttributePayload {
  return {
    metadata: { encoding: encoder.encode('json/plain'), type: encoder.encode(type) },
    data: encoder.encode(JSON.stringify(value)),
  };
}

/** Keyword payload (CountWorkflowExecutions group values). */
export function keywordPayload(value: string): SearchAttributePayload {
  return encodeSearchAttributePayload(value, 'Keyword');
}

/**
 * Decodes a stored payload for filtering: the JSON value plus the type from `metadata.type`
 * (undefined when absent or unknown — register it as Keyword then). Non-JSON or
 * `binary/null` payloads decode to `undefined`.
 */
export function decodeSearchAttributePayload(payload: {
  metadata?: Record<string, Uint8Array> | null;
  data?: Uint8Array | null;
}): { value: unknown; type: SearchAttributeType | undefined } {
  const metadata = payload.metadata ?? {};
  const typeBytes = metadata.type;
  const type = typeBytes ? parseSearchAttributeType(decoder.decode(typeBytes)) : undefined;
  const encoding = metadata.encoding ? decoder.decode(metadata.encoding) : '';
  if (encoding !== 'json/plain' || !payload.data || payload.data.length === 0)
    return { value: undefined, type };
  try {
    return { value: JSON.parse(decoder.decode(payload.data)) as unknown, type };
  } catch {
    return { value: undefined, type };
  }
}
