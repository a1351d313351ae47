import type { CompiledFilter } from './compile-filter';
import type { VisibilityRecord } from './record';

/** A search-attribute payload as the engine sends it (json/plain with metadata.type). */
export interface SearchAttributePayload {
  metadata: { encoding: Uint8Array; type: Uint8Array };
  data: Uint8Array;
}

/** Shape of CountWorkflowExecutionsResponse. */
export interface CountResult {
  count: number;
  groups: { groupValues: SearchAttributePayload[]; count: number }[];
}

const encoder = new TextEncoder();

/** Encodes one Keyword value the way the TS client's search-attribute converter decodes it. */
export function keywordPayload(value: string): SearchAttributePayload {
  return {
    metadata: { encoding: encoder.encode('json/plain'), type: encoder.encode('Keyword') },
    data: encoder.encode(JSON.stringify(value)),
  };
}

/**
 * CountWorkflowExecutions over all records of a namespace. Without GROUP BY `groups` is empty;
 * with `GROUP BY ExecutionStatus` one group per status present, largest first (ties by name).
 */
export function countRecords(records: Iterable<VisibilityRecord>, filter: CompiledFilter): CountResult {
  let count = 0;
  const byStatus = new Map<string, number>();
  const grouped = filter.groupBy.length > 0;
  for (const record of records) {
    if (!filter.matches(record)) continue;
    count++;
    if (grouped) byStatus.set(record.status, (byStatus.get(record.status) ?? 0) + 1);
  }
  const groups = [...byStatus]
    .sort(([a, ca], [b, cb]) => cb - ca || (a < b ? -1 : 1))
    .map(([status, n]) => ({ groupValues: [keywordPayload(status)], count: n }));
  return { count, groups };
}
