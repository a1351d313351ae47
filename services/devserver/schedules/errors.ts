/** Message prefix the TS client turns into a TypeError (DEVSERVER.md §1.5). */
export const INVALID_SPEC_PREFIX = 'Invalid schedule spec: ';

/**
 * A schedule spec the server cannot accept. The engine answers INVALID_ARGUMENT with `message`,
 * which always starts with "Invalid schedule spec: ". `field` is the offending path.
 */
export class InvalidScheduleSpecError extends Error {
  override readonly name = 'InvalidScheduleSpecError';
  readonly field: string;

  constructor(field: string, problem: string, options?: { cause?: unknown }) {
    super(`${INVALID_SPEC_PREFIX}${field}: ${problem}`, options);
    this.field = field;
  }
}
