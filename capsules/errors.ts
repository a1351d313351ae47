import { formatDiagnostic, type Diagnostic } from './diagnostics';

/** A capsule or persona document failed validation or compilation; carries every diagnostic. */
export class CapsuleValidationError extends Error {
  override readonly name = 'CapsuleValidationError';
  constructor(
    readonly diagnostics: readonly Diagnostic[],
    options?: { cause?: unknown },
  ) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    super(
      `${errors.length} problem${errors.length === 1 ? '' : 's'}:\n${errors.map(formatDiagnostic).join('\n')}`,
      options,
    );
  }
}

/** Publishing a version that already exists with different content (versions are immutable). */
export class ImmutableVersionError extends Error {
  override readonly name = 'ImmutableVersionError';
  constructor(
    readonly kind: 'capsule' | 'persona',
    readonly id: string,
    readonly version: string,
    readonly existingHash: string,
    readonly newHash: string,
  ) {
    super(
      `${kind} ${id}@${version} is already published with different content ` +
        `(published ${existingHash.slice(0, 12)}, yours ${newHash.slice(0, 12)}); ` +
        `versions are immutable: bump the version (e.g. a patch release) and publish again`,
    );
  }
}

/** No published version matches a reference. */
export class ReferenceNotFoundError extends Error {
  override readonly name = 'ReferenceNotFoundError';
  constructor(
    readonly kind: 'capsule' | 'persona',
    readonly ref: string,
    detail: string,
  ) {
    super(`${kind} ${ref} not found: ${detail}`);
  }
}
