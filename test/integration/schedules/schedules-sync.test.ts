import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection, type ScheduleDescription } from '@temporalio/client';
import {
  defaultPayloadConverter,
  type SearchAttributePair,
  type TypedSearchAttributes,
} from '@temporalio/common';
import { startDevServer, type DevServer } from '../../../services/devserver';
import { createLogger } from '../../../services/logger';
import { migrate } from '../../../services/postgres';
import { MANAGED_BY, type SyncReport } from '../../../services/schedules';
import { IDENTITY_HEADER } from '../../../workflows/shared/identity';
import { SEARCH_ATTRIBUTES } from '../../../workflows/shared/search-attributes';
import { waitFor } from '../../support/devserver';
import { createTestDatabase } from '../../support/postgres';
import { run } from '../../unit/capsules/run-cli';

const LIBRARY = path.join(__dirname, '../../../capsules/library');
const WEEKLY = 'somagent-capsule-meetings.weekly-1';
const PULSE = 'somagent-capsule-meetings.pulse-0';

/** The meeting-summary capsule under another id and version, with the given triggers. */
async function capsuleText(id: string, version: string, triggers: string): Promise<string> {
  const text = await readFile(path.join(LIBRARY, 'meeting-summary.yaml'), 'utf8');
  return `${text
    .replace('id: meetings.transcript-summary', `id: ${id}`)
    .replace('version: 1.0.0', `version: ${version}`)}\ntriggers:\n${triggers}`;
}

const WEEKLY_TRIGGERS = `  - type: manual
  - type: schedule
    cron: 0 9 * * MON
    timezone: Europe/Berlin
    params:
      meetingTitle: Weekly leadership sync
`;

/** Attributes as name → value, for comparing typed search attributes. */
function attributes(typed: SearchAttributePair[] | TypedSearchAttributes | undefined) {
  const pairs = typed === undefined ? [] : Array.isArray(typed) ? typed : typed.getAll();
  return Object.fromEntries(pairs.map((p) => [p.key.name, p.value]));
}

/** A TCP port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('somagent schedules sync (registry on PostgreSQL, devserver via the official client)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let server: DevServer;
  let connection: Connection;
  let client: Client;
  let dir: string;
  const saved = { ...process.env };
  const taskQueue = `schedules-${Date.now().toString(36)}`;

  beforeAll(async () => {
    db = await createTestDatabase('schedules');
    await migrate({ url: db.url });
    server = await startDevServer({
      port: 0,
      host: '127.0.0.1',
      persistence: { kind: 'memory' },
      logger: createLogger({ level: 'warn', name: 'devserver-test' }),
    });
    connection = await Connection.connect({ address: server.address });
    client = new Client({ connection, namespace: 'default' });
    dir = await mkdtemp(path.join(tmpdir(), 'somagent-schedules-'));
    process.env.DATABASE_URL = db.url;
    process.env.TEMPORAL_ADDRESS = server.address;
    process.env.TEMPORAL_NAMESPACE = 'default';
    process.env.TEMPORAL_TASK_QUEUE = taskQueue;
  });

  afterAll(async () => {
    process.env = saved;
    await rm(dir, { recursive: true, force: true });
    await connection?.close();
    await server?.stop();
    await db?.drop();
  });

  async function write(name: string, text: string): Promise<string> {
    const file = path.join(dir, name);
    await writeFile(file, text);
    return file;
  }

  async function syncJson(...flags: string[]): Promise<SyncReport> {
    const result = await run('schedules', 'sync', '--json', ...flags);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    return JSON.parse(result.stdout) as SyncReport;
  }

  const counts = (r: SyncReport) => ({
    created: r.created.length,
    updated: r.updated.length,
    deleted: r.deleted.length,
    unchanged: r.unchanged.length,
  });

  const describe_ = (id: string): Promise<ScheduleDescription> => client.schedule.getHandle(id).describe();

  it('creates, keeps, updates and deletes schedules; leaves foreign ones alone', async () => {
    expect((await run('persona', 'publish', path.join(LIBRARY, 'personas/scribe.yaml'))).code).toBe(0);
    // Schedules nobody should touch: one named like ours without the marker, one unrelated.
    const foreignAction = {
      type: 'startWorkflow' as const,
      workflowType: 'otherWorkflow',
      taskQueue: 'other',
      args: [],
    };
    await client.schedule.create({
      scheduleId: 'somagent-capsule-hand-made-0',
      spec: { calendars: [{ hour: 3 }] },
      action: { ...foreignAction, workflowId: 'hand-made' },
      memo: { owner: 'ops' },
    });
    await client.schedule.create({
      scheduleId: 'nightly-backup',
      spec: { calendars: [{ hour: 2 }] },
      action: { ...foreignAction, workflowId: 'backup' },
    });

    const weekly = await write(
      'weekly-1.0.0.yaml',
      await capsuleText('meetings.weekly', '1.0.0', WEEKLY_TRIGGERS),
    );
    const pulse = await write(
      'pulse.yaml',
      await capsuleText('meetings.pulse', '1.0.0', '  - type: schedule\n    interval: 15m\n'),
    );
    const published = await run('capsule', 'publish', '--no-sync-schedules', weekly, pulse);
    expect(published.code).toBe(0);
    expect(published.stdout).not.toContain('schedules:');

    // --dry-run: the plan, and nothing on the server.
    const dry = await syncJson('--dry-run');
    expect(dry.dryRun).toBe(true);
    expect(dry.created.map((e) => e.scheduleId)).toEqual([PULSE, WEEKLY]);
    await expect(describe_(WEEKLY)).rejects.toThrow(/not found/i);

    const first = await syncJson();
    expect(counts(first)).toEqual({ created: 2, updated: 0, deleted: 0, unchanged: 0 });
    expect(first.created).toEqual([
      { scheduleId: PULSE, capsule: 'meetings.pulse@1.0.0', spec: 'every 15m' },
      { scheduleId: WEEKLY, capsule: 'meetings.weekly@1.0.0', spec: 'cron "0 9 * * MON" Europe/Berlin' },
    ]);

    const weeklySchedule = await describe_(WEEKLY);
    expect(weeklySchedule.spec.timezone).toBe('Europe/Berlin');
    expect(weeklySchedule.spec.calendars).toEqual([
      expect.objectContaining({
        hour: [{ start: 9, end: 9, step: 1 }],
        minute: [{ start: 0, end: 0, step: 1 }],
        dayOfWeek: [{ start: 'MONDAY', end: 'MONDAY', step: 1 }],
      }),
    ]);
    const berlin = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/Berlin',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hour12: false,
    });
    for (const time of weeklySchedule.info.nextActionTimes) expect(berlin.format(time)).toBe('Mon 09:00');
    expect(weeklySchedule.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: 'capsuleWorkflow',
      workflowId: WEEKLY,
      taskQueue,
      args: [
        {
          capsule: 'meetings.weekly@1.0.0',
          params: { meetingTitle: 'Weekly leadership sync' },
          trigger: { kind: 'schedule', scheduleId: WEEKLY },
          tenant: 'default',
        },
      ],
      memo: { capsule: 'meetings.weekly@1.0.0', scheduleId: WEEKLY },
    });
    const runAttributes = {
      SomagentCapsuleId: 'meetings.weekly',
      SomagentCapsuleVersion: '1.0.0',
      SomagentTenant: 'default',
      SomagentTrigger: 'schedule',
    };
    if (weeklySchedule.action.type !== 'startWorkflow') throw new Error('expected a startWorkflow action');
    expect(attributes(weeklySchedule.action.typedSearchAttributes)).toEqual(runAttributes);
    expect(attributes(weeklySchedule.typedSearchAttributes)).toEqual(runAttributes);
    expect(weeklySchedule.memo).toEqual({
      managedBy: MANAGED_BY,
      capsule: 'meetings.weekly@1.0.0',
      capsuleId: 'meetings.weekly',
      capsuleVersion: '1.0.0',
      triggerIndex: 1,
      specDigest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
    });
    expect((await describe_(PULSE)).spec.intervals).toEqual([{ every: 900_000, offset: 0 }]);

    // The runs a schedule starts carry the capsule's search attributes from their first event.
    const handle = client.schedule.getHandle(WEEKLY);
    await handle.trigger();
    let runId: string | undefined;
    await waitFor('the triggered run', async () => {
      const action = (await handle.describe()).info.recentActions[0]?.action;
      runId = action?.workflow.workflowId;
      return runId !== undefined;
    });
    const started = await client.workflow.getHandle(runId!).describe();
    expect(started.type).toBe('capsuleWorkflow');
    expect(started.taskQueue).toBe(taskQueue);
    expect(started.typedSearchAttributes.get(SEARCH_ATTRIBUTES.capsuleId)).toBe('meetings.weekly');
    expect(started.typedSearchAttributes.get(SEARCH_ATTRIBUTES.capsuleVersion)).toBe('1.0.0');
    expect(started.typedSearchAttributes.get(SEARCH_ATTRIBUTES.trigger)).toBe('schedule');
    expect(started.memo).toEqual({ capsule: 'meetings.weekly@1.0.0', scheduleId: WEEKLY });
    // ...and act for the schedule in its tenant (the run's identity header).
    const [startedEvent] = (await client.workflow.getHandle(runId!).fetchHistory()).events ?? [];
    const header = startedEvent?.workflowExecutionStartedEventAttributes?.header?.fields?.[IDENTITY_HEADER];
    expect(defaultPayloadConverter.fromPayload(header!)).toEqual({
      subject: `schedule:${WEEKLY}`,
      tenant: 'default',
      capabilities: ['capsule:run'],
    });
    await client.workflow.getHandle(runId!).terminate('test: no worker runs capsules here');

    // Idempotent: the second sync changes nothing (the trigger above counted as a change).
    const beforeSecond = (await describe_(WEEKLY)).raw.conflictToken;
    const second = await syncJson();
    expect(counts(second)).toEqual({ created: 0, updated: 0, deleted: 0, unchanged: 2 });
    expect((await describe_(WEEKLY)).raw.conflictToken).toEqual(beforeSecond);
    expect((await describe_(PULSE)).info.lastUpdatedAt).toBeUndefined();

    // A new version: publish syncs right away, one update; the schedule now runs 1.1.0.
    const weekly11 = await write(
      'weekly-1.1.0.yaml',
      await capsuleText('meetings.weekly', '1.1.0', WEEKLY_TRIGGERS),
    );
    const republished = await run('capsule', 'publish', weekly11);
    expect(republished.code).toBe(0);
    expect(republished.stdout).toContain('schedules: 0 created, 1 updated, 0 deleted, 1 unchanged');
    expect(republished.stdout).toContain(
      `~ ${WEEKLY}  meetings.weekly@1.0.0 → meetings.weekly@1.1.0  cron "0 9 * * MON" Europe/Berlin`,
    );
    const updated = await describe_(WEEKLY);
    expect(updated.memo).toMatchObject({ capsule: 'meetings.weekly@1.1.0', capsuleVersion: '1.1.0' });
    expect(updated.memo?.specDigest).not.toBe(weeklySchedule.memo?.specDigest);
    expect(attributes(updated.typedSearchAttributes)).toMatchObject({
      SomagentCapsuleVersion: '1.1.0',
    });
    expect(updated.action).toMatchObject({ args: [{ capsule: 'meetings.weekly@1.1.0' }] });
    if (updated.action.type !== 'startWorkflow') throw new Error('expected a startWorkflow action');
    expect(attributes(updated.action.typedSearchAttributes)).toMatchObject({
      SomagentCapsuleVersion: '1.1.0',
    });
    expect(counts(await syncJson())).toEqual({ created: 0, updated: 0, deleted: 0, unchanged: 2 });

    // Deprecating every version of a capsule ends its schedule.
    expect((await run('capsule', 'deprecate', 'meetings.pulse@1.0.0', '--reason', 'retired')).code).toBe(0);
    const third = await syncJson();
    expect(counts(third)).toEqual({ created: 0, updated: 0, deleted: 1, unchanged: 1 });
    expect(third.deleted).toEqual([{ scheduleId: PULSE, capsule: 'meetings.pulse@1.0.0' }]);
    await expect(describe_(PULSE)).rejects.toThrow(/not found/i);

    // The foreign schedules were never touched.
    expect((await describe_('somagent-capsule-hand-made-0')).memo).toEqual({ owner: 'ops' });
    expect((await describe_('somagent-capsule-hand-made-0')).info.lastUpdatedAt).toBeUndefined();
    expect((await describe_('nightly-backup')).info.lastUpdatedAt).toBeUndefined();
  });

  it('reports a desired id taken by a schedule it does not manage, and leaves that schedule alone', async () => {
    await client.schedule.create({
      scheduleId: 'somagent-capsule-meetings.taken-0',
      spec: { calendars: [{ hour: 4 }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'otherWorkflow',
        taskQueue: 'other',
        args: [],
        workflowId: 'x',
      },
    });
    const taken = await write(
      'taken.yaml',
      await capsuleText('meetings.taken', '1.0.0', '  - type: schedule\n    cron: 0 6 * * *\n'),
    );
    expect((await run('capsule', 'publish', '--no-sync-schedules', taken)).code).toBe(0);
    const result = await run('schedules', 'sync');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('1 left alone (not managed)');
    expect(result.stdout).toMatch(
      /! somagent-capsule-meetings\.taken-0 {2}meetings\.taken@1\.0\.0: .*not created by/,
    );
    const after = await describe_('somagent-capsule-meetings.taken-0');
    expect(after.info.lastUpdatedAt).toBeUndefined();
    expect(after.action).toMatchObject({ workflowType: 'otherWorkflow' });
  });

  it('publishes without Temporal and says how to sync later', async () => {
    process.env.TEMPORAL_ADDRESS = `127.0.0.1:${await closedPort()}`;
    try {
      const file = await write(
        'offline.yaml',
        await capsuleText('meetings.offline', '1.0.0', '  - type: schedule\n    interval: 1h\n'),
      );
      const result = await run('capsule', 'publish', file);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('published meetings.offline@1.0.0');
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^schedules not synced: no Temporal server reachable at TEMPORAL_ADDRESS=127\.0\.0\.1:\d+ .*; run `somagent schedules sync` once it is up$/,
      );
    } finally {
      process.env.TEMPORAL_ADDRESS = server.address;
    }
  });
});
