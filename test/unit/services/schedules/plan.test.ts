import {
  capsuleScheduleId,
  desiredSchedules,
  formatSyncReport,
  MANAGED_BY,
  planChangesNothing,
  planScheduleSync,
  scheduleMemo,
  scheduleOptions,
  ScheduleSyncError,
  syncReport,
  type DesiredSchedule,
  type ExistingSchedule,
  type ScheduledCapsule,
} from '../../../../services/schedules';

const OPTIONS = { taskQueue: 'somagent', tenant: 'default' };

function capsule(id: string, version: string, triggers: unknown[]): ScheduledCapsule {
  return { id, version, document: { id, version, triggers } };
}

const weekly = (version = '1.0.0', cron = '0 9 * * MON') =>
  capsule('analytics.weekly-report', version, [
    { type: 'manual' },
    { type: 'schedule', cron, timezone: 'Europe/Berlin', params: { audience: 'product' } },
  ]);

/** What the server lists for a schedule sync created from `desired`. */
function existingFrom(desired: DesiredSchedule): ExistingSchedule {
  return { scheduleId: desired.scheduleId, memo: { ...scheduleMemo(desired) } };
}

describe('desired schedules', () => {
  it('makes one schedule per schedule trigger, id by trigger index, cron in its time zone', () => {
    const desired = desiredSchedules(
      [weekly(), capsule('ops.heartbeat', '2.1.0', [{ type: 'schedule', interval: '1h30m' }])],
      OPTIONS,
    );
    expect(desired.map((d) => [d.scheduleId, d.spec])).toEqual([
      [
        'somagent-capsule-analytics.weekly-report-1',
        { kind: 'cron', cron: '0 9 * * MON', timezone: 'Europe/Berlin' },
      ],
      ['somagent-capsule-ops.heartbeat-0', { kind: 'interval', every: '1h30m', everyMs: 5_400_000 }],
    ]);
    expect(desired[0]).toMatchObject({
      capsuleId: 'analytics.weekly-report',
      capsuleVersion: '1.0.0',
      triggerIndex: 1,
      params: { audience: 'product' },
      taskQueue: 'somagent',
      tenant: 'default',
    });
  });

  it('defaults the time zone to UTC and ignores manual and event triggers', () => {
    const desired = desiredSchedules(
      [
        capsule('a', '1.0.0', [
          { type: 'event', event: 'github.issue.opened' },
          { type: 'schedule', cron: '*/5 * * * *' },
        ]),
      ],
      OPTIONS,
    );
    expect(desired).toHaveLength(1);
    expect(desired[0]!.scheduleId).toBe(capsuleScheduleId('a', 1));
    expect(desired[0]!.spec).toEqual({ kind: 'cron', cron: '*/5 * * * *', timezone: 'UTC' });
  });

  it('digests everything that shapes the schedule: version, trigger, params, task queue, tenant', () => {
    const digest = (c: ScheduledCapsule, options = OPTIONS) => desiredSchedules([c], options)[0]!.digest;
    const base = digest(weekly());
    expect(digest(weekly())).toBe(base);
    expect(digest(weekly('1.1.0'))).not.toBe(base);
    expect(digest(weekly('1.0.0', '0 10 * * MON'))).not.toBe(base);
    expect(digest(weekly(), { ...OPTIONS, taskQueue: 'other' })).not.toBe(base);
    expect(digest(weekly(), { ...OPTIONS, tenant: 'acme' })).not.toBe(base);
    const params = capsule('analytics.weekly-report', '1.0.0', [
      { type: 'manual' },
      {
        type: 'schedule',
        cron: '0 9 * * MON',
        timezone: 'Europe/Berlin',
        params: { audience: 'leadership' },
      },
    ]);
    expect(digest(params)).not.toBe(base);
  });

  it('names the field of a trigger that does not parse', () => {
    const bad = capsule('a', '1.0.0', [{ type: 'manual' }, { type: 'schedule', cron: '61 * * * *' }]);
    expect(() => desiredSchedules([bad], OPTIONS)).toThrow(ScheduleSyncError);
    expect(() => desiredSchedules([bad], OPTIONS)).toThrow(/^a@1\.0\.0 triggers\[1\]\.cron: /);
    const both = capsule('b', '1.0.0', [{ type: 'schedule', cron: '* * * * *', interval: '1h' }]);
    expect(() => desiredSchedules([both], OPTIONS)).toThrow(
      'b@1.0.0 triggers[0]: a schedule needs exactly one of "cron" or "interval"',
    );
    expect(() =>
      desiredSchedules([{ id: 'c', version: '1.0.0', document: { triggers: 'daily' } }], OPTIONS),
    ).toThrow('c@1.0.0 triggers: expected a list of triggers');
  });
});

describe('planScheduleSync', () => {
  it('creates what is missing', () => {
    const desired = desiredSchedules([weekly()], OPTIONS);
    const plan = planScheduleSync({ desired, existing: [] });
    expect(plan.create.map((d) => d.scheduleId)).toEqual(['somagent-capsule-analytics.weekly-report-1']);
    expect(planChangesNothing(plan)).toBe(false);
  });

  it('changes nothing when the stored digest matches', () => {
    const desired = desiredSchedules([weekly()], OPTIONS);
    const plan = planScheduleSync({ desired, existing: desired.map(existingFrom) });
    expect(plan).toEqual({ create: [], update: [], delete: [], unchanged: desired, conflicts: [] });
    expect(planChangesNothing(plan)).toBe(true);
  });

  it('updates on a new version or a changed trigger', () => {
    const before = desiredSchedules([weekly('1.0.0')], OPTIONS);
    const newVersion = planScheduleSync({
      desired: desiredSchedules([weekly('1.1.0')], OPTIONS),
      existing: before.map(existingFrom),
    });
    expect(newVersion.update).toHaveLength(1);
    expect(newVersion.update[0]!.current.capsule).toBe('analytics.weekly-report@1.0.0');
    expect(newVersion.update[0]!.desired.capsuleVersion).toBe('1.1.0');

    const newCron = planScheduleSync({
      desired: desiredSchedules([weekly('1.0.0', '0 8 * * *')], OPTIONS),
      existing: before.map(existingFrom),
    });
    expect(newCron.update.map((u) => u.desired.scheduleId)).toEqual([
      'somagent-capsule-analytics.weekly-report-1',
    ]);
  });

  it('deletes managed orphans (capsule gone or deprecated, trigger removed)', () => {
    const before = desiredSchedules(
      [weekly(), capsule('ops.heartbeat', '1.0.0', [{ type: 'schedule', interval: '1h' }])],
      OPTIONS,
    );
    const plan = planScheduleSync({
      desired: desiredSchedules([capsule('analytics.weekly-report', '1.1.0', [{ type: 'manual' }])], OPTIONS),
      existing: before.map(existingFrom),
    });
    expect(plan.delete.map((d) => [d.scheduleId, d.current.capsule])).toEqual([
      ['somagent-capsule-analytics.weekly-report-1', 'analytics.weekly-report@1.0.0'],
      ['somagent-capsule-ops.heartbeat-0', 'ops.heartbeat@1.0.0'],
    ]);
    expect(plan.create).toEqual([]);
  });

  it('never touches a schedule it does not manage, even one named like its own', () => {
    const desired = desiredSchedules([weekly()], OPTIONS);
    const existing: ExistingSchedule[] = [
      { scheduleId: 'nightly-backup', memo: { managedBy: MANAGED_BY } },
      { scheduleId: 'somagent-capsule-someone-else-0', memo: { owner: 'ops' } },
      { scheduleId: 'somagent-capsule-analytics.weekly-report-1' },
    ];
    const plan = planScheduleSync({ desired, existing });
    expect(plan.delete).toEqual([]);
    expect(plan.create).toEqual([]);
    expect(plan.update).toEqual([]);
    expect(plan.conflicts.map((c) => c.scheduleId)).toEqual(['somagent-capsule-analytics.weekly-report-1']);
    expect(plan.conflicts[0]!.reason).toMatch(/was not created by somagent schedules sync.*left alone/);
  });

  it('treats a managed-looking memo that does not parse as foreign', () => {
    const desired = desiredSchedules([weekly()], OPTIONS);
    const memo = { ...scheduleMemo(desired[0]!), triggerIndex: 'one' };
    const plan = planScheduleSync({ desired: [], existing: [{ scheduleId: desired[0]!.scheduleId, memo }] });
    expect(plan.delete).toEqual([]);
  });
});

describe('schedule options and report', () => {
  it('starts capsuleWorkflow with the pinned version, trigger params and schedule trigger', () => {
    const [desired] = desiredSchedules([weekly()], { taskQueue: 'q', tenant: 'default' });
    const options = scheduleOptions(desired!);
    expect(options.spec).toEqual({ cronExpressions: ['0 9 * * MON'], timezone: 'Europe/Berlin' });
    expect(options.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: 'capsuleWorkflow',
      taskQueue: 'q',
      args: [
        {
          capsule: 'analytics.weekly-report@1.0.0',
          params: { audience: 'product' },
          trigger: { kind: 'schedule', scheduleId: 'somagent-capsule-analytics.weekly-report-1' },
          tenant: 'default',
        },
      ],
    });
    const names = (options.typedSearchAttributes as Array<{ key: { name: string }; value: unknown }>).map(
      (p) => [p.key.name, p.value],
    );
    expect(names).toEqual([
      ['SomagentCapsuleId', 'analytics.weekly-report'],
      ['SomagentCapsuleVersion', '1.0.0'],
      ['SomagentTenant', 'default'],
      ['SomagentTrigger', 'schedule'],
    ]);
    expect(options.memo).toMatchObject({ managedBy: MANAGED_BY, capsule: 'analytics.weekly-report@1.0.0' });
    const interval = scheduleOptions(
      desiredSchedules([capsule('x', '1.0.0', [{ type: 'schedule', interval: '15m' }])], OPTIONS)[0]!,
    );
    expect(interval.spec).toEqual({ intervals: [{ every: 900_000 }] });
  });

  it('summarizes a plan', () => {
    const before = desiredSchedules([weekly('1.0.0')], OPTIONS);
    const plan = planScheduleSync({
      desired: desiredSchedules(
        [weekly('1.1.0'), capsule('x', '1.0.0', [{ type: 'schedule', interval: '15m' }])],
        OPTIONS,
      ),
      existing: [
        ...before.map(existingFrom),
        {
          scheduleId: 'somagent-capsule-gone-0',
          memo: {
            ...scheduleMemo({ ...before[0]!, scheduleId: 'somagent-capsule-gone-0', capsuleId: 'gone' }),
          },
        },
      ],
    });
    expect(formatSyncReport(syncReport(plan, { dryRun: true })).split('\n')).toEqual([
      'schedules (dry run, nothing changed): 1 to create, 1 to update, 1 to delete, 0 unchanged',
      '  + somagent-capsule-x-0  x@1.0.0  every 15m',
      '  ~ somagent-capsule-analytics.weekly-report-1  analytics.weekly-report@1.0.0 → analytics.weekly-report@1.1.0  cron "0 9 * * MON" Europe/Berlin',
      '  - somagent-capsule-gone-0  gone@1.0.0',
    ]);
  });
});
