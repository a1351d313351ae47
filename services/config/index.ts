export { loadConfig, redactConfig, redactUrl } from './load-config';
export type { Config } from './load-config';
export { ConfigError } from './errors';
export {
  apiKeyFromConfig,
  changingApiKey,
  clientConnectionOptions,
  fileApiKey,
  nativeConnectionOptions,
  type TemporalApiKey,
} from './temporal-connection';
