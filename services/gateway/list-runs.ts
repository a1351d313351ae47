import { status as grpcStatus } from '@grpc/grpc-js';
import type { Client } from '@temporalio/client';
import { decodeTypedSearchAttributes } from '@temporalio/common/lib/converter/payload-search-attributes';
import { temporal } from '@temporalio/proto';
import { TRIGGER_KINDS } from '../../workflows/shared/types';
import { SEARCH_ATTRIBUTES } from '../../workflows/shared/search-attributes';
import { GatewayError } from './gateway-error';
import { capsuleRunMessage, EXECUTION_STATUS } from './run-view';

export interface ListRunsRequest {
  pageSize: number;
  nextPageToken: Buffer;
  capsuleId: string;
  status: string;
  trigger: string;
}

const MAX_PAGE = 200;
const CAPSULE_ID = /^[a-z0-9][a-z0-9._-]*$/;

/**
 * The visibility query of a list request: always the caller's tenant, capsule runs only, and
 * the filters given. Values are checked against what they can be before they are quoted in, so
 * no filter value can change the query.
 */
export function listQuery(
  tenant: string,
  request: Omit<ListRunsRequest, 'pageSize' | 'nextPageToken'>,
): string {
  const terms = [`WorkflowType = 'capsuleWorkflow'`, `${SEARCH_ATTRIBUTES.tenant.name} = '${tenant}'`];
  if (request.capsuleId) {
    if (!CAPSULE_ID.test(request.capsuleId)) {
      throw new GatewayError(
        grpcStatus.INVALID_ARGUMENT,
        `capsule_id "${request.capsuleId}" is not a capsule id`,
        {
          'somagent-field': 'capsule_id',
        },
      );
    }
    terms.push(`${SEARCH_ATTRIBUTES.capsuleId.name} = '${request.capsuleId}'`);
  }
  if (request.status && request.status !== 'CAPSULE_RUN_STATUS_UNSPECIFIED') {
    terms.push(`ExecutionStatus = '${EXECUTION_STATUS[request.status]}'`);
  }
  if (request.trigger) {
    if (!(TRIGGER_KINDS as readonly string[]).includes(request.trigger)) {
      throw new GatewayError(
        grpcStatus.INVALID_ARGUMENT,
        `trigger "${request.trigger}" is not one of ${TRIGGER_KINDS.join(', ')}`,
        { 'somagent-field': 'trigger' },
      );
    }
    terms.push(`${SEARCH_ATTRIBUTES.trigger.name} = '${request.trigger}'`);
  }
  return terms.join(' AND ');
}

/** One page of a tenant's capsule runs, newest first, from Temporal visibility. */
export async function listRuns(client: Client, tenant: string, request: ListRunsRequest) {
  const pageSize = request.pageSize > 0 ? Math.min(request.pageSize, MAX_PAGE) : 50;
  const response = await client.workflowService.listWorkflowExecutions({
    namespace: client.options.namespace,
    pageSize,
    nextPageToken: request.nextPageToken.length > 0 ? request.nextPageToken : null,
    query: listQuery(tenant, request),
  });
  const names = temporal.api.enums.v1.WorkflowExecutionStatus;
  return {
    runs: response.executions.map((raw) =>
      capsuleRunMessage({
        workflowId: raw.execution?.workflowId ?? '',
        runId: raw.execution?.runId ?? '',
        statusName: (names[raw.status ?? 0] ?? '').replace('WORKFLOW_EXECUTION_STATUS_', ''),
        startTime: timestampDate(raw.startTime) ?? new Date(0),
        closeTime: timestampDate(raw.closeTime),
        typedSearchAttributes: decodeTypedSearchAttributes(raw.searchAttributes?.indexedFields),
      }),
    ),
    nextPageToken: Buffer.from(response.nextPageToken ?? []),
  };
}

function timestampDate(ts: temporal.api.workflow.v1.IWorkflowExecutionInfo['startTime']): Date | undefined {
  if (!ts) return undefined;
  return new Date(Number(ts.seconds ?? 0) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6));
}
