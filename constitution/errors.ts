/** One problem found in a document or request, located by its field path (`features.2.weight`). */
export interface Issue {
  path: string;
  message: string;
}

/** A constitution (or overlay, or descriptor) that fails schema or consistency checks. */
export class ConstitutionValidationError extends Error {
  override readonly name = 'ConstitutionValidationError';

  constructor(
    readonly issues: readonly Issue[],
    options?: { cause?: unknown },
  ) {
    super(`Invalid constitution: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, options);
  }
}

/** An action descriptor that does not match the schema; `issues` name each bad field. */
export class DescriptorValidationError extends Error {
  override readonly name = 'DescriptorValidationError';

  constructor(readonly issues: readonly Issue[]) {
    super(`Invalid action descriptor: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  }
}

/** Why a signed constitution was refused. */
export type SignatureProblem =
  | 'malformed'
  | 'unknown_key'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'rollback'
  | 'invalid_document';

/** A signed constitution that must not be trusted; `problem` says why in a machine-readable way. */
export class ConstitutionSignatureError extends Error {
  override readonly name = 'ConstitutionSignatureError';

  constructor(
    readonly problem: SignatureProblem,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Converts zod-style issues (path arrays) into {@link Issue}s with dotted paths. */
export function toIssues(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
  prefix = '',
): Issue[] {
  return issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter((p) => p !== '').join('.');
    return { path: path || '(root)', message: issue.message };
  });
}
