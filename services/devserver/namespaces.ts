import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { DevServerError, NamespaceNotFoundError } from './errors';
import { packAny } from './proto';
import type { NamespaceRecord } from './store';
import { msToDuration } from './time';

/** Retention of closed runs a namespace advertises (the devserver keeps everything). */
const DEFAULT_RETENTION_MS = 24 * 3600 * 1000; // 1 day

/** Registered namespaces by name; `default` always exists. */
export class NamespaceRegistry {
  private readonly byName = new Map<string, NamespaceRecord>();

  /** Adds a loaded or newly created record. */
  put(record: NamespaceRecord): void {
    this.byName.set(record.name, record);
  }

  /** Creates a namespace record (not yet registered). */
  static create(
    name: string,
    opts: { description?: string; ownerEmail?: string; retentionMs?: number } = {},
  ): NamespaceRecord {
    return {
      name,
      id: randomUUID(),
      description: opts.description ?? '',
      ownerEmail: opts.ownerEmail ?? '',
      retentionMs: opts.retentionMs || DEFAULT_RETENTION_MS,
      createdAtMs: Date.now(),
    };
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** The namespace, or NOT_FOUND with `NamespaceNotFoundFailure`. */
  require(name: unknown): NamespaceRecord {
    const record = typeof name === 'string' ? this.byName.get(name) : undefined;
    if (!record) throw new NamespaceNotFoundError(typeof name === 'string' ? name : '');
    return record;
  }

  findById(id: string): NamespaceRecord | undefined {
    return [...this.byName.values()].find((r) => r.id === id);
  }

  list(): NamespaceRecord[] {
    return [...this.byName.values()].sort((a, b) => a.createdAtMs - b.createdAtMs);
  }
}

/** The `DescribeNamespaceResponse` shape for a record. */
export function describeNamespace(record: NamespaceRecord): Record<string, unknown> {
  return {
    namespaceInfo: {
      name: record.name,
      state: 'NAMESPACE_STATE_REGISTERED',
      description: record.description,
      ownerEmail: record.ownerEmail,
      id: record.id,
      supportsSchedules: true,
    },
    config: {
      workflowExecutionRetentionTtl: msToDuration(record.retentionMs),
      historyArchivalState: 'ARCHIVAL_STATE_DISABLED',
      visibilityArchivalState: 'ARCHIVAL_STATE_DISABLED',
    },
    replicationConfig: {
      activeClusterName: 'active',
      clusters: [{ clusterName: 'active' }],
      state: 'REPLICATION_STATE_NORMAL',
    },
    isGlobalNamespace: false,
  };
}

/** ALREADY_EXISTS for RegisterNamespace with a taken name. */
export class NamespaceAlreadyExistsError extends DevServerError {
  override readonly name = 'NamespaceAlreadyExistsError';
  constructor(namespace: string) {
    super(status.ALREADY_EXISTS, `Namespace ${namespace} already exists.`, [
      packAny('temporal.api.errordetails.v1.NamespaceAlreadyExistsFailure', {}),
    ]);
  }
}
