/** Why a request was refused: no/invalid credentials (401) or missing capability (403). */
export class AuthError extends Error {
  override readonly name = 'AuthError';

  constructor(
    readonly status: 401 | 403,
    /** Machine-readable reason, e.g. `missing_token`, `expired`, `insufficient_scope`. */
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The JWKS configured for admin tokens is missing or unusable. */
export class JwksConfigError extends Error {
  override readonly name = 'JwksConfigError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
