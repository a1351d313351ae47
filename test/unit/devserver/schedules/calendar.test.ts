import fc from 'fast-check';
import {
  calendarToStructured,
  canonicalizeSpec,
  cronToStructuredCalendar,
  InvalidScheduleSpecError,
  nextFireTimes,
} from '../../../../services/devserver/schedules';

const ANY_YEAR = [{ start: 2000, end: 2100 }];

describe('cronToStructuredCalendar', () => {
  it('compiles a 5-field cron with steps, ranges and names', () => {
    expect(cronToStructuredCalendar('*/15 9-17 * * MON-FRI')).toEqual({
      structuredCalendar: {
        second: [{ start: 0 }],
        minute: [{ start: 0, end: 59, step: 15 }],
        hour: [{ start: 9, end: 17 }],
        dayOfMonth: [{ start: 1, end: 31 }],
        month: [{ start: 1, end: 12 }],
        year: ANY_YEAR,
        dayOfWeek: [{ start: 1, end: 5 }],
      },
      timezoneName: undefined,
    });
  });

  it('reads lists, single values with steps, month names and the comment', () => {
    const { structuredCalendar } = cronToStructuredCalendar('5,10-20/5 3/6 1,15 jan,Jul sun # twice a month');
    expect(structuredCalendar).toMatchObject({
      minute: [{ start: 5 }, { start: 10, end: 20, step: 5 }],
      hour: [{ start: 3, end: 23, step: 6 }],
      dayOfMonth: [{ start: 1 }, { start: 15 }],
      month: [{ start: 1 }, { start: 7 }],
      dayOfWeek: [{ start: 0 }],
      comment: 'twice a month',
    });
  });

  it('reads 6 fields as … year and 7 as second … year', () => {
    expect(cronToStructuredCalendar('0 12 * * * 2027').structuredCalendar?.year).toEqual([{ start: 2027 }]);
    const seven = cronToStructuredCalendar('30 0 12 * * * 2027-2030').structuredCalendar!;
    expect(seven.second).toEqual([{ start: 30 }]);
    expect(seven.year).toEqual([{ start: 2027, end: 2030 }]);
  });

  it.each([
    ['@hourly', { minute: [{ start: 0 }], hour: [{ start: 0, end: 23 }] }],
    ['@daily', { minute: [{ start: 0 }], hour: [{ start: 0 }], dayOfMonth: [{ start: 1, end: 31 }] }],
    ['@weekly', { dayOfWeek: [{ start: 0 }] }],
    ['@monthly', { dayOfMonth: [{ start: 1 }], month: [{ start: 1, end: 12 }] }],
    ['@yearly', { dayOfMonth: [{ start: 1 }], month: [{ start: 1 }] }],
  ])('expands %s', (cron, expected) => {
    expect(cronToStructuredCalendar(cron).structuredCalendar).toMatchObject(expected);
  });

  it('turns @every into an interval with optional phase', () => {
    expect(cronToStructuredCalendar('@every 90m')).toEqual({
      interval: { intervalMs: 5_400_000 },
      timezoneName: undefined,
    });
    expect(cronToStructuredCalendar('@every 1d/2h').interval).toEqual({
      intervalMs: 86_400_000,
      phaseMs: 7_200_000,
    });
  });

  it('takes the CRON_TZ= / TZ= prefix as the time zone', () => {
    expect(cronToStructuredCalendar('CRON_TZ=Europe/Paris 0 9 * * *').timezoneName).toBe('Europe/Paris');
    expect(cronToStructuredCalendar('TZ=Asia/Tokyo @daily').timezoneName).toBe('Asia/Tokyo');
  });

  it.each([
    ['* * * *', /cronString: '\* \* \* \*' has 4 fields; use 5/],
    ['60 * * * *', /cronString.minute: 60 is out of range 0-59/],
    ['0 0 0 * *', /cronString.dayOfMonth: 0 is out of range 1-31/],
    ['0 0 * * FOO', /'FOO' is not a number or name/],
    ['*/0 * * * *', /step in '\*\/0' must be a positive integer/],
    ['5-2 * * * *', /2 is out of range 5-59/],
    ['@every soon', /needs '@every <duration>/],
    ['CRON_TZ=UTC', /has a time zone but no schedule/],
  ])('rejects %j', (cron, message) => {
    expect(() => cronToStructuredCalendar(cron)).toThrow(InvalidScheduleSpecError);
    expect(() => cronToStructuredCalendar(cron)).toThrow(/^Invalid schedule spec: /);
    expect(() => cronToStructuredCalendar(cron)).toThrow(message);
  });
});

describe('day of week 7', () => {
  it('is described as Sunday (0), which clients can decode', () => {
    expect(cronToStructuredCalendar('0 0 * * 7').structuredCalendar?.dayOfWeek).toEqual([{ start: 0 }]);
    expect(cronToStructuredCalendar('0 0 * * 5-7').structuredCalendar?.dayOfWeek).toEqual([
      { start: 5, end: 6 },
      { start: 0 },
    ]);
    expect(cronToStructuredCalendar('0 0 * * 2-7/2').structuredCalendar?.dayOfWeek).toEqual([
      { start: 2, end: 6, step: 2 },
    ]);
  });

  it('accepts the ranges the TS client sends (end below start means just start)', () => {
    const canonical = canonicalizeSpec({
      structuredCalendar: [{ minute: [{ start: 5, end: 1, step: 1 }], hour: [{ start: 0, end: 23 }] }],
    });
    expect(canonical.structuredCalendar[0]?.minute).toEqual([{ start: 5, end: 1, step: 1 }]);
    expect(nextFireTimes(canonical, Date.parse('2026-11-21T10:00:00Z'), 1)[0]?.nominalTime).toBe(
      Date.parse('2026-11-21T10:05:00Z'),
    );
  });
});

describe('calendarToStructured', () => {
  it('uses 0 for empty time fields and "any" for empty date fields', () => {
    expect(calendarToStructured({ hour: '*/6', dayOfWeek: 'MON-FRI', comment: 'c' })).toEqual({
      second: [{ start: 0 }],
      minute: [{ start: 0 }],
      hour: [{ start: 0, end: 23, step: 6 }],
      dayOfMonth: [{ start: 1, end: 31 }],
      month: [{ start: 1, end: 12 }],
      year: ANY_YEAR,
      dayOfWeek: [{ start: 1, end: 5 }],
      comment: 'c',
    });
  });
});

describe('canonicalizeSpec', () => {
  it('describes cron strings and calendars back as structured calendars', () => {
    const canonical = canonicalizeSpec({
      cronString: ['CRON_TZ=America/New_York 0 9 * * MON', 'CRON_TZ=America/New_York @every 10m/1m'],
      calendar: [{ minute: '30', hour: '12' }],
      excludeCalendar: [{ month: 'dec', dayOfMonth: '25', hour: '*', minute: '*', second: '*' }],
      interval: [{ intervalMs: 60_000 }],
      jitterMs: 5000,
    });
    expect(canonical.timezoneName).toBe('America/New_York');
    expect(canonical.structuredCalendar).toHaveLength(2);
    // String calendars first, then cron strings, in the order given.
    expect(canonical.structuredCalendar[0]).toMatchObject({ hour: [{ start: 12 }], minute: [{ start: 30 }] });
    expect(canonical.structuredCalendar[1]).toMatchObject({
      hour: [{ start: 9 }],
      dayOfWeek: [{ start: 1 }],
    });
    expect(canonical.interval).toEqual([{ intervalMs: 60_000 }, { intervalMs: 600_000, phaseMs: 60_000 }]);
    expect(canonical.excludeStructuredCalendar[0]).toMatchObject({
      month: [{ start: 12 }],
      dayOfMonth: [{ start: 25 }],
    });
    expect(canonical.jitterMs).toBe(5000);
    expect(canonical).not.toHaveProperty('cronString');
  });

  it.each([
    [
      { cronString: ['CRON_TZ=Asia/Tokyo @daily'], timezoneName: 'Europe/Paris' },
      /cronString\[0\]: time zone 'Asia\/Tokyo' conflicts/,
    ],
    [{ timezoneName: 'Mars/Olympus' }, /timezoneName: unknown time zone 'Mars\/Olympus'/],
    [{ interval: [{ intervalMs: 0 }] }, /interval\[0\].interval: must be at least 1 second/],
    [
      { interval: [{ intervalMs: 60_000, phaseMs: 60_000 }] },
      /interval\[0\].phase: must be at least 0 and less than the interval/,
    ],
    [
      { structuredCalendar: [{ hour: [{ start: 24 }] }] },
      /structuredCalendar\[0\].hour\[0\]: start 24 is out of range 0-23/,
    ],
    [
      { structuredCalendar: [{ minute: [{ start: 30, end: 60 }] }] },
      /minute\[0\]: end 60 is out of range 0-59/,
    ],
    [
      { structuredCalendar: [{ comment: 'x'.repeat(201) }] },
      /structuredCalendar\[0\].comment: must be at most 200/,
    ],
    [
      { cronString: ['CRON_TZ=Asia/Tokyo @daily', '@hourly'] },
      /cronString\[1\]: time zone '' differs from cronString\[0\]'s 'Asia\/Tokyo'/,
    ],
    [{ calendar: [{ month: 'smarch' }] }, /calendar\[0\].month: 'smarch' is not a number or name/],
    [{ jitterMs: -1 }, /jitter: must not be negative/],
    [{ startTime: 10, endTime: 5 }, /endTime: must not be before startTime/],
  ])('rejects %j', (spec, message) => {
    expect(() => canonicalizeSpec(spec)).toThrow(/^Invalid schedule spec: /);
    expect(() => canonicalizeSpec(spec)).toThrow(message);
  });
});

describe('canonicalizeSpec idempotence', () => {
  const part = (max: number, min = 0): fc.Arbitrary<string> =>
    fc.oneof(
      fc.constant('*'),
      fc.integer({ min, max }).map(String),
      fc
        .tuple(fc.integer({ min, max }), fc.integer({ min, max }), fc.integer({ min: 1, max: 5 }))
        .map(([a, b, s]) => `${Math.min(a, b)}-${Math.max(a, b)}/${s}`),
    );

  it('describing a described spec changes nothing (UpdateSchedule sends the described form back)', () => {
    fc.assert(
      fc.property(
        fc.tuple(part(59), part(23), part(31, 1), part(12, 1), part(7)).map((p) => p.join(' ')),
        fc.constantFrom(undefined, 'Europe/Paris'),
        (cron, timezoneName) => {
          const once = canonicalizeSpec({ cronString: [cron], timezoneName, jitterMs: 1000 });
          expect(canonicalizeSpec(once)).toEqual(once);
        },
      ),
      { numRuns: 200 },
    );
  });
});
