import type { ErrorType } from '../shared/error-types';

/** A tool failure with the `ApplicationFailure` type the activity reports it as. */
export class ToolError extends Error {
  override readonly name = 'ToolError';
  constructor(
    readonly type: ErrorType,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, { cause: options.cause });
    this.details = options.details;
  }
  readonly details: Record<string, unknown> | undefined;
}
