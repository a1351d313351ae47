import type { ScheduleChange, ScheduleRecord } from './schedule-record';
import type { HistoryEvent, RunState } from './state';
import type { SearchAttributeType } from './visibility';

/** A registered namespace as it is persisted. */
export interface NamespaceRecord {
  name: string;
  id: string;
  description: string;
  ownerEmail: string;
  retentionMs: number;
  createdAtMs: number;
  /**
   * Custom search attributes by name (`Keyword`, `Int`, …) once the namespace's set changed
   * (AddSearchAttributes, or a new key on a start/upsert); absent = the dev-server default set.
   * Optional: records persisted before visibility existed lack it.
   */
  customSearchAttributes?: Record<string, SearchAttributeType>;
}

/**
 * One run's changes in a transaction: the run's live state and the events appended since the
 * previous transaction. A store that snapshots `state` must do so synchronously when it takes a
 * batch of transactions, before yielding to the event loop: at that moment the live state matches
 * exactly the events of every transaction handed to it so far.
 */
export interface RunChange {
  state: RunState;
  newEvents: HistoryEvent[];
}

/** Everything one engine transaction changed. */
export interface StoreTransaction {
  namespaces: NamespaceRecord[];
  runs: RunChange[];
  /** Schedules created, changed or deleted (absent: none). */
  schedules?: ScheduleChange[];
}

/** What the engine loads at start-up. */
export interface StoredSnapshot {
  namespaces: NamespaceRecord[];
  runs: { state: RunState; events: HistoryEvent[] }[];
  /** Persisted schedules (absent: none). */
  schedules?: ScheduleRecord[];
}

/**
 * Durable home of the engine's state. The engine keeps its working set in memory and hands each
 * transaction to `commit`; an RPC is answered only after its commit resolves (write-through).
 * Commits resolve in the order they were made.
 */
export interface DevServerStore {
  readonly kind: 'memory' | 'postgres';
  /** Prepares storage (schema, migrations) and returns everything persisted so far. */
  load(): Promise<StoredSnapshot>;
  commit(tx: StoreTransaction): Promise<void>;
  close(): Promise<void>;
}
