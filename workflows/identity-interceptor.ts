import { defaultPayloadConverter } from '@temporalio/common';
import type {
  ContinueAsNewInput,
  Next,
  StartChildWorkflowExecutionInput,
  WorkflowExecuteInput,
  WorkflowInboundCallsInterceptor,
  WorkflowInterceptors,
  WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import { asRunIdentity, IDENTITY_HEADER, type RunIdentity } from './shared/identity';

/**
 * Workflow interceptors for the run identity (workflows/shared/identity.ts): the inbound one
 * keeps the identity header the run was started with, so the workflow can read who started it;
 * the outbound one passes the same header to every child and across continue-as-new, so a persona or nested run acts for
 * the caller of its root. Sandbox-safe: module state is per workflow execution.
 */

/** What the start header said. */
export type StartIdentity =
  { kind: 'none' } | { kind: 'identity'; identity: RunIdentity } | { kind: 'malformed'; reason: string };

let started: StartIdentity = { kind: 'none' };
let header: WorkflowExecuteInput['headers'][string] | undefined;

/** The identity this run was started with (after the workflow function has been entered). */
export function startIdentity(): StartIdentity {
  return started;
}

function readHeader(headers: WorkflowExecuteInput['headers']): StartIdentity {
  const payload = headers[IDENTITY_HEADER];
  if (payload === undefined) return { kind: 'none' };
  let value: unknown;
  try {
    value = defaultPayloadConverter.fromPayload(payload);
  } catch {
    return { kind: 'malformed', reason: `header "${IDENTITY_HEADER}" is not a JSON payload` };
  }
  const identity = asRunIdentity(value);
  return identity
    ? { kind: 'identity', identity }
    : {
        kind: 'malformed',
        reason: `header "${IDENTITY_HEADER}" must be {subject, tenant?, capabilities[]}`,
      };
}

/** The workflow interceptors module entry: list this file in `interceptors.workflowModules`. */
export function interceptors(): WorkflowInterceptors {
  const inbound: WorkflowInboundCallsInterceptor = {
    execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>) {
      header = input.headers[IDENTITY_HEADER];
      started = readHeader(input.headers);
      return next(input);
    },
  };
  const withHeader = <T extends { headers: WorkflowExecuteInput['headers'] }>(input: T): T =>
    header === undefined || input.headers[IDENTITY_HEADER] !== undefined
      ? input
      : { ...input, headers: { ...input.headers, [IDENTITY_HEADER]: header } };
  const outbound: WorkflowOutboundCallsInterceptor = {
    continueAsNew(input: ContinueAsNewInput, next: Next<WorkflowOutboundCallsInterceptor, 'continueAsNew'>) {
      return next(withHeader(input));
    },
    startChildWorkflowExecution(
      input: StartChildWorkflowExecutionInput,
      next: Next<WorkflowOutboundCallsInterceptor, 'startChildWorkflowExecution'>,
    ) {
      return next(withHeader(input));
    },
  };
  return { inbound: [inbound], outbound: [outbound] };
}
