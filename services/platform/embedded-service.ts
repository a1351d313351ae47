/** A dependency the platform started itself because the configured one was unreachable. */
export interface EmbeddedService {
  /** e.g. `embedded-postgres`, `redis-server` */
  kind: string;
  /** Where it listens, printable (credentials redacted). */
  address: string;
  stop(): Promise<void>;
}

/** Raised when a dependency is unreachable and cannot be started here; says how to fix it. */
export class DependencyUnavailableError extends Error {
  override readonly name = 'DependencyUnavailableError';
}
