import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths pino blanks out wherever they appear in a log record; a second line of defence behind
 * `redactConfig` for secrets that reach a log through an error or a request object.
 */
const REDACT_PATHS = [
  '*.apiKey',
  '*.api_key',
  '*.password',
  '*.authorization',
  '*.token',
  '*.secret',
  'headers.authorization',
  'req.headers.authorization',
  'OPENAI_API_KEY',
  'ANTHROPIC_API_KEY',
  'LOCAL_SLM_API_KEY',
];

/** Builds the root logger once per process; components take `logger.child({ component })`. */
export function createLogger({
  level = 'info',
  name = 'somagent',
}: { level?: string; name?: string } = {}): Logger {
  return pino({ name, level, redact: { paths: REDACT_PATHS, censor: '***' } });
}
