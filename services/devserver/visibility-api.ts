import type { EngineContext } from './context';
import { InvalidArgumentError } from './errors';
import { eventAttributes } from './history';
import { describeRun } from './history-api';
import { searchAttributeRegistry, typedSearchAttributeFields } from './namespace-search-attributes';
import type { Msg } from './proto';
import type { Handler } from './service';
import { RUNNING, type Run } from './state';
import { protoTimeToMs, type ProtoTime } from './time';
import {
  compileFilter,
  countRecords,
  decodeSearchAttributePayload,
  executionStatusName,
  listPage,
  PageTokenError,
  SearchAttributeError,
  VisibilityQueryError,
  type SearchAttributeRegistry,
  type VisibilityRecord,
} from './visibility';

/** A visibility record that remembers its run, to answer with the run's execution info. */
interface RunRecord extends VisibilityRecord {
  run: Run;
}

/**
 * Decoded search-attribute values per stored field map. Run state replaces the map on every
 * upsert (never mutates it), so the map's identity is a safe cache key.
 */
const decodedCache = new WeakMap<Msg, Record<string, unknown>>();

function decodedSearchAttributes(fields: Msg | null): Record<string, unknown> {
  if (!fields) return {};
  let decoded = decodedCache.get(fields);
  if (!decoded) {
    decoded = {};
    for (const [name, payload] of Object.entries(fields)) {
      if (!payload) continue;
      const { value } = decodeSearchAttributePayload(payload);
      if (value !== undefined && value !== null) decoded[name] = value;
    }
    decodedCache.set(fields, decoded);
  }
  return decoded;
}

/** What visibility sees of a run (closed, continued-as-new and child runs included). */
function toRecord(run: Run): RunRecord {
  const s = run.state;
  const started = run.events[0];
  const root = (started ? eventAttributes(started).rootWorkflowExecution : undefined) as
    { workflowId?: string; runId?: string } | undefined;
  return {
    run,
    workflowId: s.workflowId,
    runId: s.runId,
    workflowType: s.workflowType,
    status: executionStatusName(s.status) ?? 'Running',
    startTime: s.startTimeMs,
    closeTime: s.status === RUNNING ? undefined : s.closeTimeMs,
    executionTime: s.executionTimeMs,
    taskQueue: s.taskQueue,
    historyLength: run.events.length,
    parentWorkflowId: s.parent?.workflowId,
    parentRunId: s.parent?.runId,
    rootWorkflowId: root?.workflowId ?? s.workflowId,
    rootRunId: root?.runId ?? s.runId,
    searchAttributes: decodedSearchAttributes(s.searchAttributes),
  };
}

function* recordsOf(ctx: EngineContext, namespace: string): Generator<RunRecord> {
  for (const run of ctx.runs.values()) if (run.state.namespace === namespace) yield toRecord(run);
}

/** A run's `WorkflowExecutionInfo` as describe shows it, with typed search attributes. */
function executionInfo(run: Run, registry: SearchAttributeRegistry): Msg {
  const info = describeRun(run).workflowExecutionInfo as Msg;
  const indexedFields = typedSearchAttributeFields(registry, run.state.searchAttributes);
  return { ...info, searchAttributes: indexedFields ? { indexedFields } : undefined };
}

/**
 * DescribeWorkflowExecution's answer with typed search attributes, as List returns them, so the
 * client's `typedSearchAttributes` sees every attribute of a described run too.
 */
export function describeWithTypedSearchAttributes(ctx: EngineContext, run: Run): Msg {
  const registry = searchAttributeRegistry(ctx.namespaces.require(run.state.namespace));
  return { ...describeRun(run), workflowExecutionInfo: executionInfo(run, registry) };
}

/** Query, page-token and search-attribute errors are the caller's: INVALID_ARGUMENT. */
function invalidArgumentOnBadQuery<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (
      err instanceof VisibilityQueryError ||
      err instanceof PageTokenError ||
      err instanceof SearchAttributeError
    ) {
      throw new InvalidArgumentError(err.message);
    }
    throw err;
  }
}

/** Quotes a value as a list-filter string literal. */
function literal(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * The query equivalent of the pre-SQL `ListOpen/ClosedWorkflowExecutions` filters
 * (start-time range, workflow id, type, status).
 */
function legacyFilterQuery(req: Msg, open: boolean): string {
  const terms = [open ? "ExecutionStatus = 'Running'" : "ExecutionStatus != 'Running'"];
  const range = req.startTimeFilter as { earliestTime?: ProtoTime; latestTime?: ProtoTime } | undefined;
  if (range?.earliestTime) terms.push(`StartTime >= ${isoLiteral(range.earliestTime)}`);
  if (range?.latestTime && protoTimeToMs(range.latestTime) > 0)
    terms.push(`StartTime <= ${isoLiteral(range.latestTime)}`);
  const execution = req.executionFilter as { workflowId?: string; runId?: string } | undefined;
  if (execution?.workflowId) terms.push(`WorkflowId = ${literal(execution.workflowId)}`);
  if (execution?.runId) terms.push(`RunId = ${literal(execution.runId)}`);
  const type = (req.typeFilter as { name?: string } | undefined)?.name;
  if (type) terms.push(`WorkflowType = ${literal(type)}`);
  const status = (req.statusFilter as { status?: string } | undefined)?.status;
  const statusName = status ? executionStatusName(status) : undefined;
  if (!open && statusName) terms.push(`ExecutionStatus = ${literal(statusName)}`);
  return `${terms.join(' AND ')} ORDER BY ${open ? 'StartTime' : 'CloseTime'} DESC`;
}

function isoLiteral(time: ProtoTime): string {
  return literal(new Date(protoTimeToMs(time)).toISOString());
}

/**
 * Visibility RPCs of the WorkflowService (DEVSERVER.md §8): List / Scan / Count with the
 * list-filter language over every run of the namespace, the legacy ListOpen / ListClosed, and
 * GetSearchAttributes.
 */
export function createVisibilityHandlers(ctx: EngineContext): Record<string, Handler> {
  const list = (req: Msg, query: string, pageSize: unknown): Msg => {
    const record = ctx.namespaces.require(req.namespace);
    const registry = searchAttributeRegistry(record);
    return invalidArgumentOnBadQuery(() => {
      const filter = compileFilter(query, registry);
      const page = listPage(recordsOf(ctx, record.name), filter, {
        pageSize: typeof pageSize === 'number' ? pageSize : undefined,
        nextPageToken: req.nextPageToken as Uint8Array | undefined,
      });
      return {
        executions: page.records.map((r) => executionInfo((r as RunRecord).run, registry)),
        nextPageToken: page.nextPageToken,
      };
    });
  };

  return {
    ListWorkflowExecutions: (req) => list(req, (req.query as string | undefined) ?? '', req.pageSize),

    // The real server only differs in not sorting; a sorted scan is a valid scan.
    ScanWorkflowExecutions: (req) => list(req, (req.query as string | undefined) ?? '', req.pageSize),

    ListOpenWorkflowExecutions: (req) => list(req, legacyFilterQuery(req, true), req.maximumPageSize),

    ListClosedWorkflowExecutions: (req) => list(req, legacyFilterQuery(req, false), req.maximumPageSize),

    CountWorkflowExecutions: (req) => {
      const record = ctx.namespaces.require(req.namespace);
      const registry = searchAttributeRegistry(record);
      return invalidArgumentOnBadQuery(() => {
        const filter = compileFilter((req.query as string | undefined) ?? '', registry, { purpose: 'count' });
        return { ...countRecords(recordsOf(ctx, record.name), filter) };
      });
    },

    // The request names no namespace: answer with every attribute any namespace knows.
    GetSearchAttributes: () => {
      const keys: Record<string, string> = {};
      for (const record of ctx.namespaces.list()) {
        const listed = searchAttributeRegistry(record).list();
        for (const [name, type] of Object.entries({ ...listed.systemAttributes, ...listed.customAttributes }))
          keys[name] ??= type;
      }
      return { keys };
    },
  };
}
