import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { ConfigError } from './errors';
import type { Config } from './schema';

/**
 * How every process connects to Temporal: the address, TLS and the bearer token (the SDK's
 * `apiKey`, sent as `authorization: Bearer <token>`). One place, so a token or TLS setting
 * reaches the worker, the gateway, the CLI, triggers and `npm start` alike.
 */

/** A token for Temporal that may change while the process runs (a rotated file, a re-minted token). */
export interface TemporalApiKey {
  /** The token to send now. */
  current(): string;
  /** Calls `listener` with each new token; returns a function that stops calling it. */
  onChange(listener: (token: string) => void): () => void;
  /** Stops watching or refreshing. */
  close(): void;
}

type ApiKeyConfig = Pick<Config, 'TEMPORAL_API_KEY' | 'TEMPORAL_API_KEY_FILE'>;
type ConnectionConfig = Pick<Config, 'TEMPORAL_ADDRESS' | 'TEMPORAL_TLS'> & ApiKeyConfig;

/** How often a TEMPORAL_API_KEY_FILE is checked for a new token. */
const API_KEY_FILE_POLL_MS = 2_000;

/** A token that changes when `set` is called (the base of the file and minted sources). */
export function changingApiKey(
  initial: string,
  onClose: () => void = () => undefined,
): TemporalApiKey & {
  set(token: string): void;
} {
  let token = initial;
  const listeners = new Set<(token: string) => void>();
  return {
    current: () => token,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    set(next) {
      if (next === token) return;
      token = next;
      for (const listener of listeners) listener(next);
    },
    close() {
      listeners.clear();
      onClose();
    },
  };
}

function configError(variable: string, problem: string): ConfigError {
  return new ConfigError(`${variable}: ${problem}`, [{ variable, problem }]);
}

function readTokenFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw configError('TEMPORAL_API_KEY_FILE', `cannot read "${file}" (${(err as Error).message})`);
  }
  const token = text.trim();
  if (!token) throw configError('TEMPORAL_API_KEY_FILE', `"${file}" is empty`);
  return token;
}

/**
 * The token in `file`, re-read when the file changes; a rewrite that leaves it unreadable or
 * empty keeps the last good token (a rotation writes the file anew, briefly empty).
 * @throws {ConfigError} when the file cannot be read at start.
 */
export function fileApiKey(file: string, pollMs = API_KEY_FILE_POLL_MS): TemporalApiKey {
  const onFileChange = () => {
    try {
      key.set(readTokenFile(file));
    } catch {
      // Keep the last good token until the file holds one again.
    }
  };
  const key = changingApiKey(readTokenFile(file), () => unwatchFile(file, onFileChange));
  watchFile(file, { interval: pollMs, persistent: false }, onFileChange);
  return key;
}

/**
 * The configured token: TEMPORAL_API_KEY, else the file TEMPORAL_API_KEY_FILE; undefined when
 * neither is set (the server takes calls without one, or refuses them saying so).
 * @throws {ConfigError} when both are set, or the file cannot be read.
 */
export function apiKeyFromConfig(config: ApiKeyConfig): TemporalApiKey | undefined {
  if (config.TEMPORAL_API_KEY && config.TEMPORAL_API_KEY_FILE) {
    throw configError(
      'TEMPORAL_API_KEY_FILE',
      'set either TEMPORAL_API_KEY or TEMPORAL_API_KEY_FILE, not both',
    );
  }
  if (config.TEMPORAL_API_KEY) return changingApiKey(config.TEMPORAL_API_KEY);
  if (config.TEMPORAL_API_KEY_FILE) return fileApiKey(config.TEMPORAL_API_KEY_FILE);
  return undefined;
}

/**
 * Options for `@temporalio/client`'s `Connection.connect`. `tls` is always explicit: the SDK
 * turns TLS on whenever an `apiKey` is given otherwise, and a plaintext server then fails every
 * call. The token is read per call, so a rotated one is used from the next call on.
 * `apiKey` omitted: the configured one ({@link apiKeyFromConfig}).
 */
export function clientConnectionOptions(
  config: ConnectionConfig,
  apiKey: TemporalApiKey | undefined = apiKeyFromConfig(config),
): { address: string; tls: boolean; apiKey?: () => string } {
  return {
    address: config.TEMPORAL_ADDRESS,
    tls: config.TEMPORAL_TLS,
    ...(apiKey ? { apiKey: () => apiKey.current() } : {}),
  };
}

/**
 * Options for `@temporalio/worker`'s `NativeConnection.connect` (it takes the token as a string:
 * follow changes with `apiKey.onChange((t) => connection.setApiKey(t))`).
 */
export function nativeConnectionOptions(
  config: Pick<Config, 'TEMPORAL_ADDRESS' | 'TEMPORAL_TLS'>,
  apiKey: TemporalApiKey | undefined,
): { address: string; tls: boolean; apiKey?: string } {
  return {
    address: config.TEMPORAL_ADDRESS,
    tls: config.TEMPORAL_TLS,
    ...(apiKey ? { apiKey: apiKey.current() } : {}),
  };
}
