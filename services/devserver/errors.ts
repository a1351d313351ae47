import { status } from '@grpc/grpc-js';
import { packAny, type Msg } from './proto';

/**
 * An error the devserver answers a gRPC call with: a status code that tells the SDK whether to
 * retry, a message naming the field or entity at fault, and optional rich details.
 */
export class DevServerError extends Error {
  override readonly name: string = 'DevServerError';
  constructor(
    readonly code: status,
    message: string,
    readonly details: { type_url: string; value: Buffer }[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A required field is missing or malformed; names the field path. */
export class InvalidArgumentError extends DevServerError {
  override readonly name = 'InvalidArgumentError';
  constructor(message: string) {
    super(status.INVALID_ARGUMENT, message);
  }
}

/** An entity (run, task, activity) that does not exist or no longer accepts the call. */
export class NotFoundError extends DevServerError {
  override readonly name = 'NotFoundError';
  constructor(message: string) {
    super(status.NOT_FOUND, message);
  }
}

/** Unknown namespace; carries the `NamespaceNotFoundFailure` detail the TS client decodes. */
export class NamespaceNotFoundError extends DevServerError {
  override readonly name = 'NamespaceNotFoundError';
  constructor(namespace: string) {
    super(status.NOT_FOUND, `Namespace ${namespace} is not found.`, [
      packAny('temporal.api.errordetails.v1.NamespaceNotFoundFailure', { namespace }),
    ]);
  }
}

/** A workflow id is already running; carries `WorkflowExecutionAlreadyStartedFailure`. */
export class AlreadyStartedError extends DevServerError {
  override readonly name = 'AlreadyStartedError';
  constructor(workflowId: string, detail: Msg) {
    super(status.ALREADY_EXISTS, `Workflow execution is already running. WorkflowId: ${workflowId}`, [
      packAny('temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure', detail),
    ]);
  }
}

/** A state the call cannot apply in (e.g. querying a run that never ran a workflow task). */
export class FailedPreconditionError extends DevServerError {
  override readonly name = 'FailedPreconditionError';
  constructor(message: string) {
    super(status.FAILED_PRECONDITION, message);
  }
}

/** A method the devserver does not implement (message wording is what sdk-core recognises). */
export class UnimplementedError extends DevServerError {
  override readonly name = 'UnimplementedError';
  constructor(method: string) {
    super(status.UNIMPLEMENTED, `unknown method ${method}: not implemented by the devserver`);
  }
}
