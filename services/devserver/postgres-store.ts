import type { Logger } from '../logger';
import type { DevServerStore } from './store';

/** PostgreSQL persistence (schema `temporal_dev`); lands in the next commit. */
export function createPostgresStore(_opts: { url: string; logger: Logger }): DevServerStore {
  throw new Error('devserver: PostgreSQL persistence is not implemented yet; use --memory');
}
