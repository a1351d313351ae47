export { createPool, SCHEMA, type CreatePoolOptions } from './pool';
export { migrate, MIGRATIONS_DIR, type MigrateOptions } from './migrate';
export { withTransaction } from './transaction';
