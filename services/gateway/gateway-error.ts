import { Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { WorkflowNotFoundError } from '@temporalio/common';
import { CapsuleRunRequestError } from '../runs';

/**
 * A refusal the gateway answers with a gRPC status: code, a message a caller can act on, and
 * optional trailers (the field at fault, the retry delay). Never a stack.
 */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';

  constructor(
    readonly code: status,
    message: string,
    readonly trailers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const RUN_REQUEST_CODES: Record<CapsuleRunRequestError['code'], status> = {
  invalid_argument: status.INVALID_ARGUMENT,
  not_found: status.NOT_FOUND,
  already_exists: status.ALREADY_EXISTS,
};

/**
 * What a handler's failure becomes on the wire. Known refusals keep their code and message;
 * anything else is INTERNAL with a generic message (and logged by the caller), so internals and
 * secrets never reach a client.
 */
export function toServiceError(err: unknown): { error: Partial<ServiceError>; known: boolean } {
  const known =
    err instanceof GatewayError
      ? err
      : err instanceof CapsuleRunRequestError
        ? new GatewayError(RUN_REQUEST_CODES[err.code], err.message, { 'somagent-field': err.field })
        : err instanceof WorkflowNotFoundError
          ? new GatewayError(status.NOT_FOUND, 'no such run in this tenant')
          : undefined;
  if (!known) {
    return {
      error: { code: status.INTERNAL, details: 'internal error (see the gateway log)' },
      known: false,
    };
  }
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(known.trailers)) metadata.set(key, value);
  return { error: { code: known.code, details: known.message, metadata }, known: true };
}
