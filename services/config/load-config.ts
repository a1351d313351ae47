import { ConfigError } from './errors';
import { type Config, configSchema, envSchema, SECRET_VARIABLES, URL_VARIABLES } from './schema';

export type { Config } from './schema';

/**
 * Parses the environment once, at an entry point. Unknown variables are ignored; empty strings
 * count as unset so `FOO=` in a .env file falls back to the default.
 *
 * @throws {ConfigError} naming every bad variable and what it expects (never echoing secrets).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const relevant: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') relevant[key] = value;
  }
  const parsed = configSchema.safeParse(relevant);
  if (parsed.success) return parsed.data;

  const problems = parsed.error.issues.map((issue) => {
    const variable = String(issue.path[0] ?? '(environment)');
    const given = relevant[variable];
    const shown =
      given === undefined
        ? ''
        : isSecret(variable)
          ? ' (value hidden)'
          : ` (got ${JSON.stringify(redactUrl(given))})`;
    const detail = issue.path.length > 1 ? ` at item ${issue.path.slice(1).join('.')}` : '';
    return { variable, problem: `${issue.message}${detail}${shown}` };
  });
  const lines = problems.map((p) => `  ${p.variable}: ${p.problem}`);
  throw new ConfigError(
    `Invalid configuration — fix these environment variables:\n${lines.join('\n')}`,
    problems,
  );
}

function isSecret(variable: string): boolean {
  return (SECRET_VARIABLES as readonly string[]).includes(variable);
}

/** Replaces the password in a URL's userinfo with `***`; leaves non-URLs untouched. */
export function redactUrl(value: string): string {
  try {
    const parsed = new URL(value);
    if (!parsed.password) return value;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    return value;
  }
}

/** A copy of the config that is safe to log: secrets become `***`, URL passwords are masked. */
export function redactConfig(config: Config): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...config };
  for (const key of SECRET_VARIABLES) if (copy[key] !== undefined) copy[key] = '***';
  for (const key of URL_VARIABLES) {
    const value = copy[key];
    if (typeof value === 'string') copy[key] = redactUrl(value);
  }
  return copy;
}
