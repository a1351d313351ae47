import { GATE_ERROR_TYPES } from '../../workflows/shared/errors';

/**
 * `ApplicationFailure.type` strings of every failure our activities (and the gate) raise. Pure
 * constants, so workflow code can import this module to branch on failure types and to list them
 * in `RetryPolicy.nonRetryableErrorTypes`. The gate types come from the workflows' boundary module.
 */
export const ERROR_TYPES = {
  ...GATE_ERROR_TYPES,
  /** The provider answered 429 or our own per-provider limiter is full; retried after a delay. */
  SlmRateLimited: 'SlmRateLimited',
  /** The provider rejected the request (4xx other than 429): retrying cannot help. */
  SlmBadRequest: 'SlmBadRequest',
  /** The provider rejected our credentials (401/403). Never retried. */
  SlmAuthFailed: 'SlmAuthFailed',
  /** 5xx, timeout or network failure talking to the provider; retried. */
  SlmUnavailable: 'SlmUnavailable',
  /** No provider or model is configured for the requested name. Never retried. */
  SlmNotConfigured: 'SlmNotConfigured',
  /** An activity input failed validation (names the field). Never retried. */
  InvalidActivityInput: 'InvalidActivityInput',
  /** Tool arguments do not match the tool's JSON schema. Never retried. */
  ToolArgumentsInvalid: 'ToolArgumentsInvalid',
  /** No tool with this id is registered. Never retried. */
  ToolNotFound: 'ToolNotFound',
  /** The tool (`delegate`, `finish`) is handled by the workflow, not executed by an activity. */
  ToolNotExecutable: 'ToolNotExecutable',
  /** The tool ran and failed in a way a retry will not fix (e.g. file not found). */
  ToolFailed: 'ToolFailed',
  /** A workspace path leaves the run's directory (`..`, absolute path, symlink). Never retried. */
  PathEscape: 'PathEscape',
  /** `http.request` to a host outside the allowlist. Never retried. */
  HostNotAllowed: 'HostNotAllowed',
  /** The HTTP response exceeded the size cap. Never retried. */
  ResponseTooLarge: 'ResponseTooLarge',
  /** A transient failure of a remote the tool called (5xx, network); retried. */
  ToolUnavailable: 'ToolUnavailable',
  /**
   * A run's input file cannot be written: its `ref` is not in the payload store or not a file,
   * its content is not UTF-8 or too large. Never retried.
   */
  RunInputInvalid: 'RunInputInvalid',
  /**
   * A required memory snapshot (`{{ memory.x }}`) is not stored for the run's tenant, or its
   * reference is malformed. Never retried: the message says how to store it.
   */
  MemorySnapshotNotFound: 'MemorySnapshotNotFound',
} as const;

export type ErrorType = (typeof ERROR_TYPES)[keyof typeof ERROR_TYPES];

/** Types that retrying can never fix: put them in `nonRetryableErrorTypes` as a second guard. */
export const NON_RETRYABLE_ERROR_TYPES: readonly ErrorType[] = [
  ERROR_TYPES.ConstitutionDenied,
  ERROR_TYPES.BudgetExceeded,
  ERROR_TYPES.SlmBadRequest,
  ERROR_TYPES.SlmAuthFailed,
  ERROR_TYPES.SlmNotConfigured,
  ERROR_TYPES.InvalidActivityInput,
  ERROR_TYPES.ToolArgumentsInvalid,
  ERROR_TYPES.ToolNotFound,
  ERROR_TYPES.ToolNotExecutable,
  ERROR_TYPES.ToolFailed,
  ERROR_TYPES.PathEscape,
  ERROR_TYPES.HostNotAllowed,
  ERROR_TYPES.ResponseTooLarge,
  ERROR_TYPES.RunInputInvalid,
  ERROR_TYPES.MemorySnapshotNotFound,
];
