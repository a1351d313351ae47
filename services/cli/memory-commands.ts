import type { Command } from 'commander';
import { createSnapshotStore, type SnapshotStore } from '../../activities/memory/snapshot-store';
import { readSnapshotContent } from '../../capsules/snapshot-document';
import { parseSnapshotRef, type SnapshotRef } from '../../capsules/snapshot-ref';
import { DEFAULT_TENANT } from '../../workflows/shared/constants';
import { loadConfig } from '../config';
import { createPool } from '../postgres';

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

function refArgument(ref: string): SnapshotRef {
  const parsed = parseSnapshotRef(ref);
  if ('problem' in parsed) throw new Error(`<ref>: ${parsed.problem}`);
  return parsed;
}

async function withSnapshots<T>(work: (store: SnapshotStore) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const pool = createPool({ url: config.DATABASE_URL, max: 1, applicationName: 'somagent-cli' });
  try {
    return await work(createSnapshotStore({ pool }));
  } finally {
    await pool.end();
  }
}

/** `somagent memory put|show|list`: the memory snapshots capsules read as `{{ memory.<id> }}`. */
export function registerMemoryCommands(program: Command): void {
  const memory = program
    .command('memory')
    .description('memory snapshots that capsules read as {{ memory.<id> }} (Postgres)');
  const tenantOption = [
    '--tenant <tenant>',
    `tenant the snapshot belongs to (default: "${DEFAULT_TENANT}")`,
  ] as const;

  memory
    .command('put <ref>')
    .description('store a snapshot version: YAML/JSON files are stored structured, other files as text')
    .requiredOption('--file <path>', 'the content')
    .option(...tenantOption)
    .option('--description <text>', 'what the snapshot holds')
    .option('--by <name>', 'who stores it (recorded with the version)')
    .action(
      async (ref: string, options: { file: string; tenant?: string; description?: string; by?: string }) => {
        const target = refArgument(ref);
        if (target.version === 'latest') {
          throw new Error(
            '<ref>: name the version to store, e.g. snapshot://team/kpis@2026-12-01 (latest is resolved on read)',
          );
        }
        const content = await readSnapshotContent(options.file);
        const { snapshot, created } = await withSnapshots((store) =>
          store.put({
            tenant: options.tenant ?? DEFAULT_TENANT,
            ...target,
            content,
            ...(options.description ? { description: options.description } : {}),
            ...(options.by ? { createdBy: options.by } : {}),
          }),
        );
        const { content: _content, ...summary } = snapshot;
        print({ status: created ? 'stored' : 'unchanged', ...summary });
      },
    );

  memory
    .command('show <ref>')
    .description('print a snapshot version (or the newest with @latest or no version)')
    .option(...tenantOption)
    .action(async (ref: string, options: { tenant?: string }) => {
      const tenant = options.tenant ?? DEFAULT_TENANT;
      const found = await withSnapshots((store) => store.get(tenant, refArgument(ref)));
      if (!found)
        throw new Error(
          `tenant "${tenant}" has no snapshot ${ref}; list them with \`somagent memory list --tenant ${tenant}\``,
        );
      print(found);
    });

  memory
    .command('list')
    .description('list the stored snapshot versions of a tenant, newest first per name')
    .option(...tenantOption)
    .option('--name <name>', 'only this snapshot name, e.g. analytics/kpi-definitions')
    .action(async (options: { tenant?: string; name?: string }) => {
      print(await withSnapshots((store) => store.list(options.tenant ?? DEFAULT_TENANT, options.name)));
    });
}
