/** Thrown at start-up when the environment does not describe a runnable deployment. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    message: string,
    /** One entry per bad variable: `{ variable, problem }`. */
    readonly problems: readonly { variable: string; problem: string }[],
  ) {
    super(message);
  }
}
