export { createPool, SCHEMA, type CreatePoolOptions } from './pool';
export { migrate, MIGRATIONS_DIR, type MigrateOptions } from './migrate';
export { withTransaction } from './transaction';
export { createGroupCommitter, type GroupCommitOptions, type GroupCommitter } from './group-commit';
