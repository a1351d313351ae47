/**
 * Memory snapshot references, `snapshot://<name>@<version>`: a named, immutable document a tenant
 * keeps (KPI definitions, a design system, component owners) that a capsule reads at run start
 * as `{{ memory.<id> }}`. `<name>` is one or more slash-separated segments; `<version>` is a label
 * (a date, a semver, any token) or `latest`, the most recently stored version. Without `@` the
 * reference means `@latest`. Sandbox-safe: the workflow and the compiler both parse references.
 */
export interface SnapshotRef {
  /** e.g. `analytics/kpi-definitions`. */
  name: string;
  /** A stored version label, or `latest`. */
  version: string;
}

export const LATEST_SNAPSHOT = 'latest';

const SEGMENT = /^[a-z0-9][a-z0-9._-]*$/;
const VERSION = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;

/** Why `ref` is not a snapshot reference, or undefined when it is one. */
export function snapshotRefProblem(ref: string): string | undefined {
  const parsed = parseSnapshotRef(ref);
  return 'problem' in parsed ? parsed.problem : undefined;
}

export function parseSnapshotRef(ref: string): SnapshotRef | { problem: string } {
  const prefix = 'snapshot://';
  if (!ref.startsWith(prefix)) {
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//.exec(ref)?.[1];
    return {
      problem: scheme
        ? `memory scheme "${scheme}" is not supported; use snapshot://<name>@<version>`
        : `expected snapshot://<name>@<version>, got "${ref}"`,
    };
  }
  const rest = ref.slice(prefix.length);
  const at = rest.lastIndexOf('@');
  const name = at === -1 ? rest : rest.slice(0, at);
  const version = at === -1 ? LATEST_SNAPSHOT : rest.slice(at + 1);
  const segments = name.split('/');
  if (name.length === 0 || segments.some((s) => !SEGMENT.test(s))) {
    return {
      problem: `snapshot name "${name}" must be lower-case segments (a-z, 0-9, ".", "_", "-") separated by "/"`,
    };
  }
  if (!VERSION.test(version)) {
    return { problem: `snapshot version "${version}" must be a label such as 2026-11-01, 1.2.0 or latest` };
  }
  return { name, version };
}

export function formatSnapshotRef(ref: SnapshotRef): string {
  return `snapshot://${ref.name}@${ref.version}`;
}
