export { createRelay, backoff, type CreateRelayOptions, type Relay, type RelayBatchResult } from './relay';
export { claimBatch, sampleBacklog, type OutboxRow } from './outbox-store';
export { outboxStatus, pruneOutbox, type OutboxStatus } from './maintenance';
