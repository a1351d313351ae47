import type { DevServerStore, StoredSnapshot, StoreTransaction } from './store';

/**
 * The in-memory store: the engine's working set already is the whole state, so commits only
 * keep ordering (they resolve in sequence) and nothing survives the process.
 */
export function createMemoryStore(): DevServerStore {
  return {
    kind: 'memory',
    load: (): Promise<StoredSnapshot> => Promise.resolve({ namespaces: [], runs: [], schedules: [] }),
    commit: (_tx: StoreTransaction): Promise<void> => Promise.resolve(),
    close: (): Promise<void> => Promise.resolve(),
  };
}
