import type { CompiledFilter, SortKeyPart } from './compile-filter';
import { PageTokenError } from './errors';
import type { VisibilityRecord } from './record';

/** One page of ListWorkflowExecutions. `nextPageToken` is empty on the last page. */
export interface Page {
  records: VisibilityRecord[];
  nextPageToken: Uint8Array;
}

/** Page size used when the request asks for 0 or less (the server's default). */
export const DEFAULT_PAGE_SIZE = 1000;

interface Cursor {
  v: 1;
  f: string;
  k: SortKeyPart[];
}

/**
 * ListWorkflowExecutions: filters, sorts and returns the page after `nextPageToken`.
 * The token is an opaque cursor holding the last returned record's sort key (which ends in
 * RunId, so it is unique), so records added or closed between pages do not shift the pages.
 * A token from another query throws PageTokenError (→ INVALID_ARGUMENT).
 */
export function listPage(
  records: Iterable<VisibilityRecord>,
  filter: CompiledFilter,
  request: { pageSize?: number | undefined; nextPageToken?: Uint8Array | undefined },
): Page {
  const pageSize = request.pageSize && request.pageSize > 0 ? request.pageSize : DEFAULT_PAGE_SIZE;
  const after = request.nextPageToken?.length ? decodeCursor(request.nextPageToken, filter) : undefined;
  const keyed: { record: VisibilityRecord; key: SortKeyPart[] }[] = [];
  for (const record of records) {
    if (!filter.matches(record)) continue;
    const key = filter.sortKey(record);
    if (after && filter.compareKeys(key, after) <= 0) continue;
    keyed.push({ record, key });
  }
  keyed.sort((a, b) => filter.compareKeys(a.key, b.key));
  const page = keyed.slice(0, pageSize);
  const last = page[page.length - 1];
  const nextPageToken =
    keyed.length > pageSize && last
      ? encodeCursor({ v: 1, f: filter.fingerprint, k: last.key })
      : new Uint8Array();
  return { records: page.map((e) => e.record), nextPageToken };
}

function encodeCursor(cursor: Cursor): Uint8Array {
  return Buffer.from(JSON.stringify(cursor), 'utf8');
}

function decodeCursor(token: Uint8Array, filter: CompiledFilter): SortKeyPart[] {
  let cursor: unknown;
  try {
    cursor = JSON.parse(Buffer.from(token).toString('utf8'));
  } catch (cause) {
    throw new PageTokenError('invalid next page token: not produced by this server', { cause });
  }
  const c = cursor as Partial<Cursor> | null;
  if (!c || c.v !== 1 || !Array.isArray(c.k)) {
    throw new PageTokenError('invalid next page token: not produced by this server');
  }
  if (c.f !== filter.fingerprint) {
    throw new PageTokenError('invalid next page token: it belongs to a different query');
  }
  return c.k;
}
