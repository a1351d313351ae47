/**
 * A start request the platform refuses before anything starts. `code` maps onto gRPC status
 * codes at the gateway and onto exit code 2 in the CLI; `field` is the request path at fault.
 */
export class CapsuleRunRequestError extends Error {
  override readonly name = 'CapsuleRunRequestError';

  constructor(
    readonly code: 'invalid_argument' | 'not_found' | 'already_exists',
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}
