/** A publish that lost a race or would not advance the version. */
export class VersionConflictError extends Error {
  override readonly name = 'VersionConflictError';

  constructor(
    readonly version: number,
    readonly currentVersion: number,
  ) {
    super(`version ${version} does not exceed the current version ${currentVersion}`);
  }
}

/** A request body or query that does not match its schema; `issues` name each bad field. */
export class RequestValidationError extends Error {
  override readonly name = 'RequestValidationError';

  constructor(readonly issues: readonly { path: string; message: string }[]) {
    super(`Invalid request: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  }
}
