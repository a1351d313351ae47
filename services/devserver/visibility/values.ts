import type { SearchAttributeType } from './search-attributes';
import type { VisibilityRecord } from './record';

/** A search-attribute value normalised for comparison. */
export type NormalizedValue = string | number | boolean | readonly string[];

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$/;

/** Parses an RFC 3339 timestamp to epoch ms (sub-millisecond digits truncated). */
export function parseRfc3339(text: string): number | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const fraction = (m[7] ?? '').slice(0, 3).padEnd(3, '0');
  const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${fraction}${m[8]!.toUpperCase()}`;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}

const DURATION_UNITS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Parses a Go-style duration ('1h30m', '250ms', '2.5s') to milliseconds. */
export function parseGoDuration(text: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    consumed = re.lastIndex;
  }
  return consumed === text.length && consumed > 0 ? total : undefined;
}

function datetimeValue(raw: unknown): number | undefined {
  if (raw instanceof Date) return raw.getTime();
  if (typeof raw === 'number' && Number.isFinite(raw)) return raw;
  if (typeof raw === 'string') return parseRfc3339(raw);
  return undefined;
}

/** Converts a stored (decoded JSON) custom attribute value to its comparable form. */
export function normalizeStored(raw: unknown, type: SearchAttributeType): NormalizedValue | undefined {
  // Temporal stores single values of list-ish payloads as one-element arrays at times.
  if (Array.isArray(raw) && type !== 'KeywordList') raw = raw[0];
  switch (type) {
    case 'Keyword':
    case 'Text':
      return typeof raw === 'string' ? raw : undefined;
    case 'KeywordList':
      if (Array.isArray(raw)) return raw.filter((v): v is string => typeof v === 'string');
      return typeof raw === 'string' ? [raw] : undefined;
    case 'Int':
    case 'Double':
      return typeof raw === 'number' && Number.isFinite(raw) ? raw : undefined;
    case 'Bool':
      return typeof raw === 'boolean' ? raw : undefined;
    case 'Datetime':
      return datetimeValue(raw);
  }
}

/**
 * Reads attribute `name` of a record: system attributes from record fields, the rest from
 * `searchAttributes`. Datetimes are epoch ms; ExecutionDuration is milliseconds.
 */
export function readAttribute(
  record: VisibilityRecord,
  name: string,
  type: SearchAttributeType,
): NormalizedValue | undefined {
  switch (name) {
    case 'WorkflowId':
      return record.workflowId;
    case 'RunId':
      return record.runId;
    case 'WorkflowType':
      return record.workflowType;
    case 'ExecutionStatus':
      return record.status;
    case 'StartTime':
      return record.startTime;
    case 'CloseTime':
      return record.closeTime;
    case 'ExecutionTime':
      return record.executionTime ?? record.startTime;
    case 'TaskQueue':
      return record.taskQueue;
    case 'HistoryLength':
      return record.historyLength;
    case 'HistorySizeBytes':
      return record.historySizeBytes;
    case 'ParentWorkflowId':
      return record.parentWorkflowId;
    case 'ParentRunId':
      return record.parentRunId;
    case 'RootWorkflowId':
      return record.rootWorkflowId ?? record.workflowId;
    case 'RootRunId':
      return record.rootRunId ?? record.runId;
    case 'ExecutionDuration':
      return record.closeTime === undefined
        ? undefined
        : record.closeTime - (record.executionTime ?? record.startTime);
    default:
      return normalizeStored(record.searchAttributes[name], type);
  }
}

/** Lower-cased word tokens of a Text value (full-text matching). */
export function textTokens(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}_]+/gu) ?? [];
}
