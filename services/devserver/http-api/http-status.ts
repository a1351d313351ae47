import { status } from '@grpc/grpc-js';
import { DevServerError } from '../errors';
import { messageType, type Msg } from '../proto';
import { responseToJson, type JsonObject } from './proto-json';

/** HTTP status for a gRPC code, as grpc-gateway's `HTTPStatusFromCode` maps it. */
const HTTP_STATUS: Record<number, number> = {
  [status.OK]: 200,
  [status.CANCELLED]: 499,
  [status.UNKNOWN]: 500,
  [status.INVALID_ARGUMENT]: 400,
  [status.DEADLINE_EXCEEDED]: 504,
  [status.NOT_FOUND]: 404,
  [status.ALREADY_EXISTS]: 409,
  [status.PERMISSION_DENIED]: 403,
  [status.UNAUTHENTICATED]: 401,
  [status.RESOURCE_EXHAUSTED]: 429,
  [status.FAILED_PRECONDITION]: 400,
  [status.ABORTED]: 409,
  [status.OUT_OF_RANGE]: 400,
  [status.UNIMPLEMENTED]: 501,
  [status.INTERNAL]: 500,
  [status.UNAVAILABLE]: 503,
  [status.DATA_LOSS]: 500,
};

export function httpStatusOf(code: number): number {
  return HTTP_STATUS[code] ?? 500;
}

/** An error answer: HTTP status and its `google.rpc.Status` JSON body. */
export interface HttpFailure {
  readonly httpStatus: number;
  readonly body: JsonObject;
}

/**
 * `google.rpc.Status` JSON `{code, message, details}` (details as `Any` with `@type`; always
 * present, `[]` when empty) with the HTTP status derived from the code.
 */
export function statusFailure(
  code: number,
  message: string,
  details: DevServerError['details'] = [],
  httpStatus = httpStatusOf(code),
): HttpFailure {
  const msg: Msg = { code, message, details };
  const json = responseToJson(messageType('google.rpc.Status'), msg);
  return { httpStatus, body: { code, message, details: [], ...json } };
}

/** A failure as the HTTP answer: DevServerErrors keep code and details. */
export function failureOf(err: DevServerError | { code: number; message: string }): HttpFailure {
  return statusFailure(err.code, err.message, err instanceof DevServerError ? err.details : []);
}
