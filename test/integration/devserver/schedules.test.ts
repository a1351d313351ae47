import { status } from '@grpc/grpc-js';
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type ScheduleDescription,
  type ScheduleHandle,
  type ScheduleOptions,
} from '@temporalio/client';
import { defaultPayloadConverter, defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time';
import { startDevServer, type DevServer } from '../../../services/devserver';
import { createLogger } from '../../../services/logger';
import { echoWorkflow, sleepWorkflow } from '../../fixtures/devserver/workflows';
import { rejectionOf, waitFor, type RunningWorker } from '../../support/devserver';
import {
  startFixtureHarness,
  useFixtureHarness,
  type FixtureHarness,
} from '../../support/devserver-fixtures';
import { createTestDatabase } from '../../support/postgres';

const SCHEDULED_BY = defineSearchAttributeKey('TemporalScheduledById', SearchAttributeType.KEYWORD);
const SCHEDULED_START = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

/** A schedule that never fires on its own within a test (one action a day at 03:00 UTC). */
const QUIET_SPEC: ScheduleOptions['spec'] = { calendars: [{ hour: 3 }] };

/** RFC 3339 at second precision, as scheduled workflow ids carry the nominal time. */
function seconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Polls the schedule until `check` holds; returns the description that satisfied it. */
async function describeUntil(
  handle: ScheduleHandle,
  what: string,
  check: (d: ScheduleDescription) => boolean,
  timeoutMs = 15_000,
): Promise<ScheduleDescription> {
  let last: ScheduleDescription | undefined;
  await waitFor(
    `${what} (schedule ${handle.scheduleId})`,
    async () => {
      last = await handle.describe();
      return check(last);
    },
    timeoutMs,
  );
  return last!;
}

/**
 * Checks a scheduled run end to end: id `<base>-<nominal time>`, the scheduled-run search
 * attributes, its result, and that its history replays.
 */
async function expectScheduledRun(
  h: FixtureHarness,
  scheduleId: string,
  baseWorkflowId: string,
  action: ScheduleDescription['info']['recentActions'][number],
  result: unknown,
): Promise<void> {
  const { workflowId, firstExecutionRunId } = action.action.workflow;
  expect(workflowId).toBe(`${baseWorkflowId}-${seconds(action.scheduledAt)}`);
  const handle = h.client.workflow.getHandle(workflowId, firstExecutionRunId);
  await expect(handle.result()).resolves.toEqual(result);
  const described = await handle.describe();
  expect(described.status.name).toBe('COMPLETED');
  expect(described.typedSearchAttributes.get(SCHEDULED_BY)).toBe(scheduleId);
  expect(described.typedSearchAttributes.get(SCHEDULED_START)?.toISOString()).toBe(
    new Date(Math.floor(action.scheduledAt.getTime() / 1000) * 1000).toISOString(),
  );
  await h.replay(handle);
}

describe('schedules on the devserver (in memory)', () => {
  const suite = useFixtureHarness();
  const created: ScheduleHandle[] = [];

  afterEach(async () => {
    await Promise.allSettled(created.splice(0).map((s) => s.delete()));
  });

  function echoSchedule(
    scheduleId: string,
    worker: RunningWorker,
    extra: Partial<ScheduleOptions> = {},
  ): ScheduleOptions {
    return {
      scheduleId,
      spec: { intervals: [{ every: '1s' }] },
      action: {
        type: 'startWorkflow',
        workflowType: echoWorkflow,
        workflowId: `${scheduleId}-run`,
        taskQueue: worker.taskQueue,
        args: [{ value: scheduleId }],
      },
      ...extra,
    };
  }

  async function create(options: ScheduleOptions): Promise<ScheduleHandle> {
    const handle = await suite.h.client.schedule.create(options);
    created.push(handle);
    return handle;
  }

  it('fires an interval schedule repeatedly; each run carries the scheduled-run search attributes', async () => {
    const id = suite.h.workflowId('every-second');
    const handle = await create(echoSchedule(id, suite.worker));

    const described = await describeUntil(handle, 'two actions', (d) => d.info.recentActions.length >= 2);
    expect(described.info.numActionsTaken).toBeGreaterThanOrEqual(2);
    expect(described.spec.intervals).toEqual([{ every: 1000, offset: 0 }]);
    expect(described.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
    expect(described.policies.catchupWindow).toBe(365 * 24 * 3_600_000);
    expect(described.info.nextActionTimes).toHaveLength(10);
    expect(described.info.createdAt.getTime()).toBeLessThanOrEqual(Date.now());

    const [first, second] = described.info.recentActions;
    // One second apart, or a multiple when SKIP dropped one behind a slow run (loaded machine).
    const gap = second!.scheduledAt.getTime() - first!.scheduledAt.getTime();
    expect(gap).toBeGreaterThan(0);
    expect(gap % 1000).toBe(0);
    // The nominal times of an interval schedule are whole multiples of the interval.
    expect(first!.scheduledAt.getTime() % 1000).toBe(0);
    for (const action of [first!, second!]) {
      await expectScheduledRun(suite.h, id, `${id}-run`, action, id);
    }
  });

  it('does not fire while paused, and fires again once unpaused', async () => {
    const id = suite.h.workflowId('paused');
    const handle = await create(echoSchedule(id, suite.worker, { state: { paused: true, note: 'held' } }));

    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const paused = await handle.describe();
    expect(paused.state).toMatchObject({ paused: true, note: 'held' });
    expect(paused.info.numActionsTaken).toBe(0);
    expect(paused.info.recentActions).toEqual([]);

    await handle.unpause('go');
    const resumed = await describeUntil(
      handle,
      'an action after unpause',
      (d) => d.info.numActionsTaken >= 1,
    );
    expect(resumed.state).toMatchObject({ paused: false, note: 'go' });
    expect(resumed.info.lastUpdatedAt).toBeInstanceOf(Date);
    await expectScheduledRun(suite.h, id, `${id}-run`, resumed.info.recentActions[0]!, id);

    await handle.pause('stop again');
    const stopped = await handle.describe();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect((await handle.describe()).info.numActionsTaken).toBe(stopped.info.numActionsTaken);
  });

  it('triggers an action now, on create and through the handle', async () => {
    const id = suite.h.workflowId('trigger');
    const handle = await create(
      echoSchedule(id, suite.worker, { spec: QUIET_SPEC, state: { triggerImmediately: true } }),
    );
    const once = await describeUntil(handle, 'the create trigger', (d) => d.info.numActionsTaken === 1);
    await expectScheduledRun(suite.h, id, `${id}-run`, once.info.recentActions[0]!, id);

    // Next second, so the scheduled workflow id (nominal time at second precision) differs.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await handle.trigger();
    const twice = await describeUntil(handle, 'the handle trigger', (d) => d.info.numActionsTaken === 2);
    await expectScheduledRun(suite.h, id, `${id}-run`, twice.info.recentActions[1]!, id);
  });

  it('describes a cron-string schedule back as a structured calendar in its time zone', async () => {
    const id = suite.h.workflowId('cron');
    const handle = await create(
      echoSchedule(id, suite.worker, {
        spec: { cronExpressions: ['0 9 * * MON'], timezone: 'Europe/Paris' },
      }),
    );
    const described = await handle.describe();
    expect(described.spec.timezone).toBe('Europe/Paris');
    expect(described.spec.intervals).toEqual([]);
    expect(described.spec.calendars).toEqual([
      {
        second: [{ start: 0, end: 0, step: 1 }],
        minute: [{ start: 0, end: 0, step: 1 }],
        hour: [{ start: 9, end: 9, step: 1 }],
        dayOfMonth: [{ start: 1, end: 31, step: 1 }],
        month: [{ start: 'JANUARY', end: 'DECEMBER', step: 1 }],
        year: [{ start: 2000, end: 2100, step: 1 }],
        dayOfWeek: [{ start: 'MONDAY', end: 'MONDAY', step: 1 }],
        comment: '',
      },
    ]);
    const paris = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/Paris',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hour12: false,
    });
    expect(described.info.nextActionTimes).toHaveLength(10);
    for (const time of described.info.nextActionTimes) expect(paris.format(time)).toBe('Mon 09:00');
  });

  it('changes the spec with update and checks the conflict token', async () => {
    const id = suite.h.workflowId('update');
    const handle = await create(echoSchedule(id, suite.worker, { spec: QUIET_SPEC }));
    const before = await handle.describe();
    await handle.update((current) => ({ ...current, spec: { intervals: [{ every: '2h', offset: '5m' }] } }));
    const after = await handle.describe();
    expect(after.spec.intervals).toEqual([{ every: 7_200_000, offset: 300_000 }]);
    expect(after.spec.calendars).toEqual([]);
    expect(after.info.lastUpdatedAt).toBeInstanceOf(Date);
    for (const time of after.info.nextActionTimes) expect(time.getTime() % 7_200_000).toBe(300_000);

    // An update based on a stale description is refused.
    const err = await rejectionOf(
      suite.h.client.workflowService.updateSchedule({
        namespace: suite.h.namespace,
        scheduleId: id,
        schedule: before.raw.schedule,
        conflictToken: before.raw.conflictToken,
      }),
    );
    expect(err).toMatchObject({ code: status.FAILED_PRECONDITION });
    expect(String(err)).toMatch(/conflictToken does not match/);
  });

  it('replaces the memo on UpdateSchedule when one is given, and keeps it when not', async () => {
    const id = suite.h.workflowId('update-memo');
    const handle = await create(echoSchedule(id, suite.worker, { spec: QUIET_SPEC, memo: { digest: 'a' } }));
    // The SDK's handle.update never sends a memo: it stays.
    await handle.update((current) => ({ ...current, spec: { calendars: [{ hour: 4 }] } }));
    expect((await handle.describe()).memo).toEqual({ digest: 'a' });

    const { raw } = await handle.describe();
    await suite.h.client.workflowService.updateSchedule({
      namespace: suite.h.namespace,
      scheduleId: id,
      schedule: raw.schedule,
      conflictToken: raw.conflictToken,
      memo: {
        fields: {
          digest: defaultPayloadConverter.toPayload('b'),
          owner: defaultPayloadConverter.toPayload('ops'),
        },
      },
    });
    const after = await handle.describe();
    expect(after.memo).toEqual({ digest: 'b', owner: 'ops' });
    // The schedule sent back unchanged stays as it was.
    expect(after.spec.calendars).toEqual([
      expect.objectContaining({ hour: [{ start: 4, end: 4, step: 1 }] }),
    ]);
    expect(after.action).toMatchObject({ workflowId: `${id}-run`, args: [{ value: id }] });
  });

  it('deletes a schedule: describe then answers not found', async () => {
    const id = suite.h.workflowId('delete');
    const handle = await suite.h.client.schedule.create(echoSchedule(id, suite.worker, { spec: QUIET_SPEC }));
    await handle.delete();
    await expect(handle.describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
    await expect(handle.delete()).rejects.toBeInstanceOf(ScheduleNotFoundError);
  });

  it('refuses a second schedule with the same id', async () => {
    const id = suite.h.workflowId('dup');
    await create(echoSchedule(id, suite.worker, { spec: QUIET_SPEC }));
    await expect(
      suite.h.client.schedule.create(echoSchedule(id, suite.worker, { spec: QUIET_SPEC })),
    ).rejects.toBeInstanceOf(ScheduleAlreadyRunning);
  });

  it('answers a retried create (same request id) with success and applies the initial patch', async () => {
    const id = suite.h.workflowId('raw');
    const options = echoSchedule(id, suite.worker, { spec: QUIET_SPEC });
    const described = await (await create(options)).describe();
    const request = {
      namespace: suite.h.namespace,
      scheduleId: `${id}-2`,
      requestId: `${id}-request`,
      schedule: { ...described.raw.schedule, state: {} },
      initialPatch: { pause: 'paused by the initial patch' },
    };
    const first = await suite.h.client.workflowService.createSchedule(request);
    created.push(suite.h.client.schedule.getHandle(`${id}-2`));
    const again = await suite.h.client.workflowService.createSchedule(request);
    expect(Buffer.from(again.conflictToken)).toEqual(Buffer.from(first.conflictToken));
    const other = await rejectionOf(
      suite.h.client.workflowService.createSchedule({ ...request, requestId: `${id}-other` }),
    );
    expect(other).toMatchObject({ code: status.ALREADY_EXISTS });

    const patched = await suite.h.client.schedule.getHandle(`${id}-2`).describe();
    expect(patched.state).toMatchObject({ paused: true, note: 'paused by the initial patch' });
    expect(patched.info.lastUpdatedAt).toBeUndefined();
  });

  it('lists schedules with spec, action, state, memo and future times, and filters by id prefix', async () => {
    const prefix = suite.h.workflowId('listed');
    await create(echoSchedule(`${prefix}-a`, suite.worker, { spec: QUIET_SPEC, memo: { owner: 'ops' } }));
    await create(
      echoSchedule(`${prefix}-b`, suite.worker, { spec: QUIET_SPEC, state: { paused: true, note: 'off' } }),
    );
    const all = [];
    for await (const s of suite.h.client.schedule.list()) all.push(s);
    const mine = all.filter((s) => s.scheduleId.startsWith(prefix));
    expect(mine.map((s) => s.scheduleId)).toEqual([`${prefix}-a`, `${prefix}-b`]);
    expect(mine[0]).toMatchObject({
      action: { type: 'startWorkflow', workflowType: 'echoWorkflow' },
      memo: { owner: 'ops' },
      state: { paused: false },
    });
    expect(mine[0]!.spec?.calendars?.[0]?.hour).toEqual([{ start: 3, end: 3, step: 1 }]);
    expect(mine[0]!.info.nextActionTimes).toHaveLength(5);
    expect(mine[1]!.state).toEqual({ paused: true, note: 'off' });

    const filtered = [];
    for await (const s of suite.h.client.schedule.list({ query: `ScheduleId STARTS_WITH '${prefix}-b'` }))
      filtered.push(s.scheduleId);
    expect(filtered).toEqual([`${prefix}-b`]);
  });

  it('skips actions while the previous run is open (SKIP) but overlaps them with ALLOW_ALL', async () => {
    const skip = await create(sleeperSchedule(suite.h.workflowId('skip'), ScheduleOverlapPolicy.SKIP));
    const all = await create(
      sleeperSchedule(suite.h.workflowId('allow-all'), ScheduleOverlapPolicy.ALLOW_ALL),
    );

    const skipped = await describeUntil(
      skip,
      'two skipped actions',
      (d) => d.info.numActionsSkippedOverlap >= 2,
    );
    expect(skipped.info.numActionsTaken).toBe(1);
    expect(skipped.info.runningActions).toHaveLength(1);
    const overlapping = await describeUntil(
      all,
      'two running actions',
      (d) => d.info.runningActions.length >= 2,
    );
    expect(overlapping.info.numActionsSkippedOverlap).toBe(0);

    await all.delete();
    for (const running of overlapping.info.runningActions) {
      await suite.h.client.workflow.getHandle(running.workflow.workflowId).terminate('test done');
    }
    // Once the run SKIP was waiting for closes, the schedule hears it and takes the next action.
    const blocker = skipped.info.runningActions[0]!.workflow.workflowId;
    await suite.h.client.workflow.getHandle(blocker).terminate('let the next one run');
    const next = await describeUntil(skip, 'an action after the close', (d) => d.info.numActionsTaken >= 2);
    expect(next.info.runningActions.map((r) => r.workflow.workflowId)).not.toContain(blocker);
    await skip.delete();
    for (const running of next.info.runningActions) {
      await suite.h.client.workflow.getHandle(running.workflow.workflowId).terminate('test done');
    }
  });

  function sleeperSchedule(scheduleId: string, overlap: ScheduleOverlapPolicy): ScheduleOptions {
    return {
      scheduleId,
      spec: { intervals: [{ every: '1s' }] },
      policies: { overlap },
      action: {
        type: 'startWorkflow',
        workflowType: sleepWorkflow,
        workflowId: `${scheduleId}-run`,
        taskQueue: suite.worker.taskQueue,
        args: [{ ms: 30_000 }],
      },
    };
  }

  async function terminateAll(handle: ScheduleHandle): Promise<void> {
    const { info } = await handle.describe();
    await handle.delete();
    for (const running of info.runningActions) {
      await suite.h.client.workflow
        .getHandle(running.workflow.workflowId)
        .terminate('test done')
        .catch(() => undefined);
    }
  }

  it('buffers one action behind a running workflow (BUFFER_ONE) and starts it when that closes', async () => {
    const handle = await create(
      sleeperSchedule(suite.h.workflowId('buffer-one'), ScheduleOverlapPolicy.BUFFER_ONE),
    );
    const full = await describeUntil(
      handle,
      'a dropped action',
      (d) => Number(d.raw.info?.bufferDropped) >= 1,
    );
    expect(full.info.numActionsTaken).toBe(1);
    expect(Number(full.raw.info?.bufferSize)).toBe(1);

    const first = full.info.runningActions[0]!.workflow.workflowId;
    await suite.h.client.workflow.getHandle(first).terminate('make room');
    const next = await describeUntil(handle, 'the buffered action', (d) => d.info.numActionsTaken >= 2);
    // The buffered action keeps its own nominal time, which is older than "now".
    expect(next.info.recentActions[1]!.scheduledAt.getTime()).toBeLessThan(
      next.info.recentActions[1]!.takenAt.getTime(),
    );
    expect(next.info.runningActions.map((r) => r.workflow.workflowId)).not.toContain(first);
    await terminateAll(handle);
  });

  it('terminates the running workflow for the next action (TERMINATE_OTHER)', async () => {
    const handle = await create(
      sleeperSchedule(suite.h.workflowId('terminate-other'), ScheduleOverlapPolicy.TERMINATE_OTHER),
    );
    const described = await describeUntil(handle, 'two actions', (d) => d.info.numActionsTaken >= 2);
    expect(described.info.runningActions).toHaveLength(1);
    const firstRun = described.info.recentActions[0]!.action.workflow;
    const first = await suite.h.client.workflow
      .getHandle(firstRun.workflowId, firstRun.firstExecutionRunId)
      .describe();
    expect(first.status.name).toBe('TERMINATED');
    await terminateAll(handle);
  });

  it('cancels the running workflow and starts the next once it is cancelled (CANCEL_OTHER)', async () => {
    const handle = await create(
      sleeperSchedule(suite.h.workflowId('cancel-other'), ScheduleOverlapPolicy.CANCEL_OTHER),
    );
    const described = await describeUntil(handle, 'two actions', (d) => d.info.numActionsTaken >= 2);
    const firstRun = described.info.recentActions[0]!.action.workflow;
    const first = suite.h.client.workflow.getHandle(firstRun.workflowId, firstRun.firstExecutionRunId);
    await waitFor(
      'the first run to be cancelled',
      async () => (await first.describe()).status.name === 'CANCELLED',
    );
    await terminateAll(handle);
  });

  it('stops after its limited actions', async () => {
    const handle = await create(
      echoSchedule(suite.h.workflowId('limited'), suite.worker, {
        state: { remainingActions: 2 },
        policies: { overlap: ScheduleOverlapPolicy.ALLOW_ALL },
      }),
    );
    const done = await describeUntil(handle, 'two actions', (d) => d.info.numActionsTaken >= 2);
    expect(done.state.remainingActions).toBe(0);
    expect(done.info.nextActionTimes).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect((await handle.describe()).info.numActionsTaken).toBe(2);
  });

  it('backfills past times and lists matching times; jitter shifts actions within its bound', async () => {
    const id = suite.h.workflowId('backfill');
    const handle = await create(echoSchedule(id, suite.worker, { spec: QUIET_SPEC }));
    const day = 86_400_000;
    const lastThree = Math.floor(Date.now() / day) * day - 3 * day;
    await handle.backfill({
      start: new Date(lastThree),
      end: new Date(lastThree + 3 * day - 1),
      overlap: ScheduleOverlapPolicy.ALLOW_ALL,
    });
    const filled = await describeUntil(
      handle,
      'three backfilled actions',
      (d) => d.info.numActionsTaken === 3,
    );
    expect(filled.info.recentActions.map((a) => a.scheduledAt.toISOString())).toEqual(
      [0, 1, 2].map((d) => new Date(lastThree + d * day + 3 * 3_600_000).toISOString()),
    );
    for (const action of filled.info.recentActions)
      await expectScheduledRun(suite.h, id, `${id}-run`, action, id);

    const matching = await suite.h.client.workflowService.listScheduleMatchingTimes({
      namespace: suite.h.namespace,
      scheduleId: id,
      startTime: msToTs(lastThree),
      endTime: msToTs(lastThree + 2 * day),
    });
    expect(matching.startTime?.map((t) => Number(t.seconds) * 1000)).toEqual([
      lastThree + 3 * 3_600_000,
      lastThree + day + 3 * 3_600_000,
    ]);

    const jittered = await create(
      echoSchedule(suite.h.workflowId('jitter'), suite.worker, {
        spec: { intervals: [{ every: '1h' }], jitter: '30m' },
      }),
    );
    const described = await jittered.describe();
    expect(described.spec.jitter).toBe(1_800_000);
    const offsets = described.info.nextActionTimes.map((t) => t.getTime() % 3_600_000);
    for (const offset of offsets) expect(offset).toBeLessThan(1_800_000);
    expect(new Set(offsets).size).toBeGreaterThan(1);
  });

  it('rejects a bad spec with a TypeError naming the field', async () => {
    const base = echoSchedule(suite.h.workflowId('bad'), suite.worker);
    const tooShort = await rejectionOf(
      suite.h.client.schedule.create({ ...base, spec: { intervals: [{ every: '500ms' }] } }),
    );
    expect(tooShort).toBeInstanceOf(TypeError);
    expect((tooShort as Error).message).toBe('interval[0].interval: must be at least 1 second');

    const badCron = await rejectionOf(
      suite.h.client.schedule.create({ ...base, spec: { cronExpressions: ['61 * * * *'] } }),
    );
    expect(badCron).toBeInstanceOf(TypeError);
    expect((badCron as Error).message).toMatch(/^cronString\[0\]/);

    const badZone = await rejectionOf(
      suite.h.client.schedule.create({ ...base, spec: { ...QUIET_SPEC, timezone: 'Mars/Olympus' } }),
    );
    expect((badZone as Error).message).toMatch(/^timezoneName: unknown time zone 'Mars\/Olympus'/);
    await expect(suite.h.client.schedule.getHandle(base.scheduleId).describe()).rejects.toBeInstanceOf(
      ScheduleNotFoundError,
    );
  });
});

describe('schedules on PostgreSQL across a devserver restart', () => {
  const logger = createLogger({ level: process.env.DEVSERVER_TEST_LOG ?? 'warn', name: 'devserver-test' });
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let server: DevServer;
  let h: FixtureHarness;

  const start = (port: number) =>
    startDevServer({ port, host: '127.0.0.1', persistence: { kind: 'postgres', url: db.url }, logger });

  beforeAll(async () => {
    // A database of its own: a restarted devserver recovers everything in its schema.
    db = await createTestDatabase('sched');
    server = await start(0);
    h = await startFixtureHarness({ address: server.address });
  });
  afterAll(async () => {
    await h?.close();
    await server?.stop();
    await db?.drop();
  });

  it('keeps the schedule and catches up the times missed while the server was down', async () => {
    const worker = await h.fixtureWorker();
    try {
      const id = h.workflowId('durable');
      const handle = await h.client.schedule.create({
        scheduleId: id,
        spec: { intervals: [{ every: '1s' }] },
        policies: { overlap: ScheduleOverlapPolicy.ALLOW_ALL },
        action: {
          type: 'startWorkflow',
          workflowType: echoWorkflow,
          workflowId: `${id}-run`,
          taskQueue: worker.taskQueue,
          args: [{ value: 'durable' }],
        },
        memo: { kept: true },
      });
      const before = await describeUntil(handle, 'an action', (d) => d.info.numActionsTaken >= 1);

      const port = Number(server.address.slice(server.address.lastIndexOf(':') + 1));
      await server.stop();
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      server = await start(port);

      const after = await describeUntil(
        handle,
        'five more actions after the restart',
        (d) => d.info.numActionsTaken >= before.info.numActionsTaken + 5,
        30_000,
      );
      expect(after.memo).toEqual({ kept: true });
      expect(after.spec.intervals).toEqual([{ every: 1000, offset: 0 }]);
      expect(after.info.createdAt).toEqual(before.info.createdAt);
      // Every nominal second has its run, the ones that fell in the downtime included.
      const from = before.info.recentActions.at(-1)!.scheduledAt.getTime();
      const to = after.info.recentActions.at(-1)!.scheduledAt.getTime();
      expect(to - from).toBeGreaterThanOrEqual(5_000);
      for (let t = from; t <= to; t += 1000) {
        const run = h.client.workflow.getHandle(`${id}-run-${seconds(new Date(t))}`);
        expect((await run.describe()).typedSearchAttributes.get(SCHEDULED_BY)).toBe(id);
      }
      await expectScheduledRun(h, id, `${id}-run`, after.info.recentActions.at(-1)!, 'durable');
      await expectScheduledRun(h, id, `${id}-run`, before.info.recentActions[0]!, 'durable');
      await handle.delete();
    } finally {
      await worker.stop();
    }
  });
});
