import type { CompiledFilter } from './compile-filter';
import { keywordPayload, type SearchAttributePayload } from './payloads';
import type { VisibilityRecord } from './record';

/** Shape of CountWorkflowExecutionsResponse. */
export interface CountResult {
  count: number;
  groups: { groupValues: SearchAttributePayload[]; count: number }[];
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
