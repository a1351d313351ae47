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
