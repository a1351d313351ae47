import type { Pool } from 'pg';
import {
  createSnapshotStore,
  MAX_SNAPSHOT_BYTES,
  SnapshotConflictError,
  SnapshotInputError,
  type SnapshotStore,
} from '../../../activities/memory/snapshot-store';
import { createSnapshotActivities } from '../../../activities/memory/snapshot-activities';
import { testPool } from '../../support/pg';

let pool: Pool;
let store: SnapshotStore;
// Tenants unique to this file: the database is shared by the whole test run.
const tenant = `snap-${Date.now().toString(36)}`;
const other = `${tenant}-other`;

beforeAll(() => {
  pool = testPool(2);
  store = createSnapshotStore({ pool });
});
afterAll(async () => {
  await pool.end();
});

describe('snapshot store', () => {
  it('stores versions immutably: same content is a no-op, other content a conflict', async () => {
    const first = await store.put({
      tenant,
      name: 'team/kpis',
      version: '2026-11-01',
      content: { kpis: ['wau'] },
    });
    expect(first.created).toBe(true);
    expect(first.snapshot.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const again = await store.put({
      tenant,
      name: 'team/kpis',
      version: '2026-11-01',
      content: { kpis: ['wau'] },
    });
    expect(again).toMatchObject({ created: false, snapshot: { digest: first.snapshot.digest } });
    await expect(
      store.put({ tenant, name: 'team/kpis', version: '2026-11-01', content: { kpis: ['mau'] } }),
    ).rejects.toThrow(SnapshotConflictError);
    expect((await store.get(tenant, { name: 'team/kpis', version: '2026-11-01' }))?.content).toEqual({
      kpis: ['wau'],
    });
  });

  it('resolves latest to the newest stored version, not the highest label', async () => {
    await store.put({ tenant, name: 'team/owners', version: 'b', content: 'first' });
    await store.put({ tenant, name: 'team/owners', version: 'a', content: 'second' });
    expect(await store.get(tenant, { name: 'team/owners', version: 'latest' })).toMatchObject({
      version: 'a',
      content: 'second',
    });
    expect((await store.list(tenant, 'team/owners')).map((s) => s.version)).toEqual(['a', 'b']);
  });

  it('keeps tenants apart', async () => {
    await store.put({ tenant: other, name: 'team/secret', version: '1', content: 'theirs' });
    expect(await store.get(tenant, { name: 'team/secret', version: 'latest' })).toBeUndefined();
    expect((await store.list(tenant)).map((s) => s.name)).not.toContain('team/secret');
  });

  it('refuses "latest" as a stored version and oversized content', async () => {
    await expect(store.put({ tenant, name: 'x', version: 'latest', content: 1 })).rejects.toThrow(
      SnapshotInputError,
    );
    await expect(
      store.put({ tenant, name: 'x', version: '1', content: 'y'.repeat(MAX_SNAPSHOT_BYTES) }),
    ).rejects.toThrow(/bytes; the limit is/);
  });
});

describe('loadMemorySnapshots', () => {
  const loadMemorySnapshots: ReturnType<typeof createSnapshotActivities>['loadMemorySnapshots'] = (input) =>
    createSnapshotActivities({ store }).loadMemorySnapshots(input);

  it('pins latest to a version and digest, and gives null for an optional snapshot that is missing', async () => {
    await store.put({ tenant, name: 'design/system', version: '2026-12-01', content: { radius: 6 } });
    const result = await loadMemorySnapshots({
      tenant,
      memory: [
        { id: 'designSystem', ref: 'snapshot://design/design-system-not-here@latest', required: false },
        { id: 'ds', ref: 'snapshot://design/system' },
      ],
    });
    expect(result.snapshots).toEqual({
      designSystem: null,
      ds: {
        ref: 'snapshot://design/system@2026-12-01',
        version: '2026-12-01',
        digest: expect.stringMatching(/^sha256:/),
        content: { radius: 6 },
      },
    });
  });

  it('fails non-retryably naming every missing required snapshot and the command that stores it', async () => {
    const err = await loadMemorySnapshots({
      tenant,
      memory: [
        { id: 'a', ref: 'snapshot://none/one@latest' },
        { id: 'b', ref: 'snapshot://none/two@2026-01-01' },
      ],
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'MemorySnapshotNotFound', nonRetryable: true });
    expect((err as Error).message).toContain(
      'a (snapshot://none/one@latest), b (snapshot://none/two@2026-01-01)',
    );
    expect((err as Error).message).toContain(
      `npx somagent memory put <snapshot://name@version> --file <file> --tenant ${tenant}`,
    );
  });
});
