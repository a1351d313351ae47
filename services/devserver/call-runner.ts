import { status, type Metadata } from '@grpc/grpc-js';
import type { Logger } from '../logger';
import { DevServerError } from './errors';
import type { CallContext } from './history-api';
import type { Msg } from './proto';
import type { Handler } from './service';

/**
 * Runs before a call's handler (auth mode): resolves to let it run, may amend the request (e.g.
 * stamp a header), rejects with a DevServerError to refuse it.
 */
export type CallGuard = (service: string, method: string, metadata: Metadata, request: Msg) => Promise<void>;

/**
 * One proto service as the devserver answers it, whatever the transport: its handlers over plain
 * objects and the guard every call passes first. gRPC and the HTTP/JSON API share these.
 */
export interface ServiceBinding {
  /** Fully qualified service name, e.g. `temporal.api.workflowservice.v1.WorkflowService`. */
  readonly service: string;
  readonly handlers: Record<string, Handler>;
  readonly guard?: CallGuard;
}

/** What a method without a handler "answers" once the guard let it through. */
export const NO_HANDLER = Symbol('no handler');

/**
 * The guard (auth mode) decides before the handler runs, also for methods without a handler (an
 * unauthenticated caller learns nothing about what is implemented).
 */
export async function runCall(
  binding: ServiceBinding,
  method: string,
  metadata: Metadata,
  request: Msg,
  call: CallContext,
): Promise<Msg | typeof NO_HANDLER> {
  if (binding.guard) await binding.guard(binding.service, method, metadata, request);
  const handler = binding.handlers[method];
  return handler ? handler(request, call) : NO_HANDLER;
}

/** Error codes whose failures are worth an error log line (the rest are the caller's mistakes). */
const SERVER_SIDE_CODES = new Set([status.INTERNAL, status.UNKNOWN, status.UNAVAILABLE, status.DATA_LOSS]);

/**
 * What a failed call answers: a DevServerError as it is, anything else as INTERNAL naming the
 * method. Logs the failures that are the server's fault.
 */
export function callFailure(
  err: unknown,
  logger: Logger,
  method: string,
): DevServerError | { code: status.INTERNAL; message: string } {
  if (err instanceof DevServerError) {
    if (SERVER_SIDE_CODES.has(err.code)) logger.error({ err, method }, 'devserver: call failed');
    return err;
  }
  logger.error({ err, method }, 'devserver: unexpected error');
  return {
    code: status.INTERNAL,
    message: `devserver internal error in ${method}: ${err instanceof Error ? err.message : String(err)}`,
  };
}
