/** Workflow execution status names as they appear in queries and group-by values. */
export type ExecutionStatusName =
  'Running' | 'Completed' | 'Failed' | 'Canceled' | 'Terminated' | 'ContinuedAsNew' | 'TimedOut';

/** Every status name, in proto enum order (WORKFLOW_EXECUTION_STATUS_RUNNING = 1, …). */
export const EXECUTION_STATUS_NAMES: readonly ExecutionStatusName[] = [
  'Running',
  'Completed',
  'Failed',
  'Canceled',
  'Terminated',
  'ContinuedAsNew',
  'TimedOut',
];

/**
 * Status name from what the engine holds: the proto enum number (1 = Running … 7 = TimedOut),
 * its name (`WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW`) or the short name. Undefined otherwise.
 */
export function executionStatusName(value: number | string): ExecutionStatusName | undefined {
  if (typeof value === 'number') return EXECUTION_STATUS_NAMES[value - 1];
  const short = value
    .replace(/^WORKFLOW_EXECUTION_STATUS_/, '')
    .replace(/_/g, '')
    .toLowerCase();
  return EXECUTION_STATUS_NAMES.find((s) => s.toLowerCase() === short);
}

/**
 * What visibility knows about one execution. Times are epoch milliseconds. `searchAttributes`
 * holds decoded JSON values (payload `data` parsed), keyed by attribute name; Datetime values
 * may be RFC 3339 strings, epoch ms numbers or Dates.
 */
export interface VisibilityRecord {
  workflowId: string;
  runId: string;
  workflowType: string;
  status: ExecutionStatusName;
  startTime: number;
  closeTime?: number | undefined;
  executionTime?: number | undefined;
  taskQueue: string;
  historyLength: number;
  historySizeBytes?: number | undefined;
  parentWorkflowId?: string | undefined;
  parentRunId?: string | undefined;
  rootWorkflowId?: string | undefined;
  rootRunId?: string | undefined;
  searchAttributes: Readonly<Record<string, unknown>>;
}
