import {
  applyPolicyDefaults,
  backfillTimes,
  catchUp,
  compileScheduleSpec,
  decideOverlap,
  parseOverlapPolicy,
  scheduledRunSearchAttributes,
  scheduledWorkflowId,
  type OverlapAction,
  type OverlapPolicy,
} from '../../../../services/devserver/schedules';

describe('decideOverlap', () => {
  it.each<[OverlapPolicy, boolean, number, OverlapAction]>([
    ['SKIP', false, 0, { kind: 'start' }],
    ['SKIP', true, 0, { kind: 'drop', counter: 'overlapSkipped' }],
    ['BUFFER_ONE', true, 0, { kind: 'buffer' }],
    ['BUFFER_ONE', true, 1, { kind: 'drop', counter: 'bufferDropped' }],
    ['BUFFER_ONE', false, 1, { kind: 'buffer' }],
    ['BUFFER_ALL', true, 5, { kind: 'buffer' }],
    ['BUFFER_ALL', false, 0, { kind: 'start' }],
    ['CANCEL_OTHER', true, 0, { kind: 'cancelThenStart' }],
    ['CANCEL_OTHER', false, 0, { kind: 'start' }],
    ['TERMINATE_OTHER', true, 0, { kind: 'terminateThenStart' }],
    ['ALLOW_ALL', true, 3, { kind: 'start' }],
  ])('%s running=%s buffered=%i → %j', (policy, running, buffered, expected) => {
    expect(decideOverlap({ policy, running, buffered })).toEqual(expected);
  });

  it.each([
    ['SCHEDULE_OVERLAP_POLICY_BUFFER_ALL', 'BUFFER_ALL'],
    ['terminate_other', 'TERMINATE_OTHER'],
    [4, 'CANCEL_OTHER'],
    [0, 'SKIP'],
    ['SCHEDULE_OVERLAP_POLICY_UNSPECIFIED', 'SKIP'],
    [undefined, 'SKIP'],
  ])('parseOverlapPolicy(%j) = %s', (input, expected) => {
    expect(parseOverlapPolicy(input)).toBe(expected);
  });
});

describe('applyPolicyDefaults', () => {
  it('fills SKIP and a 365-day window, raising short windows to 10 s', () => {
    expect(applyPolicyDefaults()).toEqual({
      overlapPolicy: 'SKIP',
      catchupWindowMs: 365 * 86_400_000,
      pauseOnFailure: false,
      keepOriginalWorkflowId: false,
    });
    expect(applyPolicyDefaults({ catchupWindowMs: 2000, overlapPolicy: 6 })).toMatchObject({
      catchupWindowMs: 10_000,
      overlapPolicy: 'ALLOW_ALL',
    });
  });
});

describe('scheduledWorkflowId', () => {
  it('appends the nominal time truncated to seconds', () => {
    expect(scheduledWorkflowId('sched-wf', Date.parse('2026-11-21T11:07:46.789Z'))).toBe(
      'sched-wf-2026-11-21T11:07:46Z',
    );
  });
});

describe('scheduledRunSearchAttributes', () => {
  it('tags a run with the schedule id and the nominal time', () => {
    expect(scheduledRunSearchAttributes('sched-1', Date.parse('2026-11-21T11:07:46.500Z'))).toEqual({
      TemporalScheduledById: { type: 'Keyword', value: 'sched-1' },
      TemporalScheduledStartTime: { type: 'Datetime', value: '2026-11-21T11:07:46Z' },
    });
  });
});

describe('catchUp', () => {
  const spec = compileScheduleSpec({ interval: [{ intervalMs: 60_000 }] });
  const t0 = Date.parse('2026-11-21T10:00:00Z');

  it('runs the missed times inside the window and counts the older ones', () => {
    const result = catchUp(spec, {
      scheduleId: 's',
      lastProcessed: t0,
      now: t0 + 10 * 60_000 + 30_000,
      catchupWindowMs: 3 * 60_000,
    });
    expect(result.due.map((f) => new Date(f.nominalTime).toISOString())).toEqual([
      '2026-11-21T10:08:00.000Z',
      '2026-11-21T10:09:00.000Z',
      '2026-11-21T10:10:00.000Z',
    ]);
    expect(result.missedCatchupWindow).toBe(7);
    expect(result.truncated).toBe(false);
    expect(result.lastProcessed).toBe(t0 + 10 * 60_000);
  });

  it('moves the cursor past missed times even when none is due', () => {
    const result = catchUp(spec, {
      scheduleId: 's',
      lastProcessed: t0,
      now: t0 + 5 * 60_000 + 30_000,
      catchupWindowMs: 10_000,
    });
    expect(result.due).toEqual([]);
    expect(result.missedCatchupWindow).toBe(5);
    expect(result.lastProcessed).toBe(t0 + 5 * 60_000);
  });

  it('keeps only the most recent `limit` times', () => {
    const result = catchUp(spec, {
      scheduleId: 's',
      lastProcessed: t0,
      now: t0 + 100 * 60_000,
      catchupWindowMs: 86_400_000,
      limit: 5,
    });
    expect(result.due).toHaveLength(5);
    expect(result.due[4]!.nominalTime).toBe(t0 + 100 * 60_000);
    expect(result.missedCatchupWindow).toBe(95);
    expect(result.truncated).toBe(true);
  });

  it('returns nothing when no time has passed', () => {
    expect(
      catchUp(spec, { scheduleId: 's', lastProcessed: t0, now: t0 + 59_999, catchupWindowMs: 60_000 }),
    ).toEqual({
      due: [],
      missedCatchupWindow: 0,
      truncated: false,
      lastProcessed: t0,
    });
  });
});

describe('backfillTimes', () => {
  const spec = compileScheduleSpec({ cronString: ['0 * * * *'] });
  const start = Date.parse('2026-11-20T00:00:00Z');

  it('returns the nominal times in the inclusive range, oldest first', () => {
    const { times, truncated } = backfillTimes(spec, {
      scheduleId: 's',
      startTime: start,
      endTime: start + 3 * 3_600_000,
    });
    expect(times.map((f) => f.nominalTime)).toEqual([0, 1, 2, 3].map((h) => start + h * 3_600_000));
    expect(truncated).toBe(false);
  });

  it('stops at the limit and says so', () => {
    const { times, truncated } = backfillTimes(spec, {
      scheduleId: 's',
      startTime: start,
      endTime: start + 86_400_000,
      limit: 4,
    });
    expect(times).toHaveLength(4);
    expect(truncated).toBe(true);
  });
});
