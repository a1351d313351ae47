import fc from 'fast-check';
import {
  compileCalendar,
  compileScheduleSpec,
  createZone,
  cronToStructuredCalendar,
  deterministicJitter,
  nextFireTimes,
  type ScheduleSpec,
} from '../../../../services/devserver/schedules';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString();
const nominal = (spec: ScheduleSpec, after: string, count: number): string[] =>
  nextFireTimes(spec, at(after), count).map((f) => iso(f.nominalTime));

describe('nextFireTimes in UTC', () => {
  it('enumerates a daily cron strictly after the given time', () => {
    expect(nominal({ cronString: ['0 12 * * *'] }, '2026-11-21T12:00:00Z', 3)).toEqual([
      '2026-11-22T12:00:00.000Z',
      '2026-11-23T12:00:00.000Z',
      '2026-11-24T12:00:00.000Z',
    ]);
  });

  it('honours day-of-week, day-of-month, month ends and leap days', () => {
    expect(nominal({ cronString: ['30 8 * * MON-FRI'] }, '2026-11-20T09:00:00Z', 2)).toEqual([
      '2026-11-23T08:30:00.000Z',
      '2026-11-24T08:30:00.000Z',
    ]);
    expect(nominal({ cronString: ['0 0 31 * *'] }, '2026-11-01T00:00:00Z', 2)).toEqual([
      '2026-12-31T00:00:00.000Z',
      '2027-01-31T00:00:00.000Z',
    ]);
    expect(nominal({ cronString: ['0 0 29 2 *'] }, '2026-01-01T00:00:00Z', 1)).toEqual([
      '2028-02-29T00:00:00.000Z',
    ]);
  });

  it('treats 7 as Sunday and seconds in 7-field crons', () => {
    expect(nominal({ cronString: ['0 0 * * 7'] }, '2026-11-21T00:00:00Z', 1)).toEqual([
      '2026-11-22T00:00:00.000Z',
    ]);
    expect(nominal({ cronString: ['*/20 * * * * * *'] }, '2026-11-21T00:00:05Z', 3)).toEqual([
      '2026-11-21T00:00:20.000Z',
      '2026-11-21T00:00:40.000Z',
      '2026-11-21T00:01:00.000Z',
    ]);
  });

  it('stops at the last year of a bounded calendar', () => {
    expect(nominal({ cronString: ['0 0 1 1 * 2027'] }, '2026-06-01T00:00:00Z', 3)).toEqual([
      '2027-01-01T00:00:00.000Z',
    ]);
  });

  it('fires intervals at k·interval + phase from the epoch', () => {
    expect(
      nominal({ interval: [{ intervalMs: 3_600_000, phaseMs: 900_000 }] }, '2026-11-21T10:20:00Z', 2),
    ).toEqual(['2026-11-21T11:15:00.000Z', '2026-11-21T12:15:00.000Z']);
    expect(nominal({ cronString: ['@every 2s'] }, '2026-11-21T10:00:01Z', 2)).toEqual([
      '2026-11-21T10:00:02.000Z',
      '2026-11-21T10:00:04.000Z',
    ]);
  });

  it('merges several calendars and intervals in time order without duplicates', () => {
    expect(
      nominal(
        {
          cronString: ['0 * * * *'],
          calendar: [{ minute: '30', hour: '*' }],
          interval: [{ intervalMs: 3_600_000 }],
        },
        '2026-11-21T10:00:00Z',
        3,
      ),
    ).toEqual(['2026-11-21T10:30:00.000Z', '2026-11-21T11:00:00.000Z', '2026-11-21T11:30:00.000Z']);
  });

  it('skips times before startTime, after endTime and in exclusions', () => {
    const spec: ScheduleSpec = {
      cronString: ['0 9 * * *'],
      excludeCalendar: [{ dayOfWeek: 'sat,sun', hour: '*', minute: '*', second: '*' }],
      startTime: at('2026-11-20T09:00:00Z'),
      endTime: at('2026-11-25T09:00:00Z'),
    };
    expect(nominal(spec, '2026-11-01T00:00:00Z', 10)).toEqual([
      '2026-11-20T09:00:00.000Z',
      '2026-11-23T09:00:00.000Z',
      '2026-11-24T09:00:00.000Z',
      '2026-11-25T09:00:00.000Z',
    ]);
  });
});

describe('nextFireTimes in time zones', () => {
  it('keeps wall-clock time across DST changes', () => {
    expect(
      nominal({ cronString: ['0 9 * * *'], timezoneName: 'America/New_York' }, '2026-03-06T15:00:00Z', 3),
    ).toEqual(['2026-03-07T14:00:00.000Z', '2026-03-08T13:00:00.000Z', '2026-03-09T13:00:00.000Z']);
    expect(nominal({ cronString: ['CRON_TZ=Asia/Kolkata 0 0 * * *'] }, '2026-11-21T00:00:00Z', 1)).toEqual([
      '2026-11-21T18:30:00.000Z',
    ]);
  });

  it('skips wall times inside a spring-forward gap', () => {
    expect(
      nominal({ cronString: ['30 2 * * *'], timezoneName: 'America/New_York' }, '2026-03-07T00:00:00Z', 2),
    ).toEqual(['2026-03-07T07:30:00.000Z', '2026-03-09T06:30:00.000Z']);
  });

  it('fires twice for wall times inside a fall-back overlap', () => {
    expect(
      nominal({ cronString: ['30 1 * * *'], timezoneName: 'America/New_York' }, '2026-10-31T12:00:00Z', 3),
    ).toEqual(['2026-11-01T05:30:00.000Z', '2026-11-01T06:30:00.000Z', '2026-11-02T06:30:00.000Z']);
    // Hourly at :05 through the repeated hour: 01:05 EDT, 01:05 EST, 02:05 EST.
    expect(
      nominal({ cronString: ['5 * * * *'], timezoneName: 'America/New_York' }, '2026-11-01T05:10:00Z', 2),
    ).toEqual(['2026-11-01T06:05:00.000Z', '2026-11-01T07:05:00.000Z']);
  });
});

describe('jitter', () => {
  it('is deterministic, bounded and depends on the schedule id', () => {
    const spec = compileScheduleSpec({ interval: [{ intervalMs: 60_000 }], jitterMs: 30_000 });
    const a = nextFireTimes(spec, at('2026-11-21T00:00:00Z'), 20, { scheduleId: 'sched-a' });
    const again = nextFireTimes(spec, at('2026-11-21T00:00:00Z'), 20, { scheduleId: 'sched-a' });
    const b = nextFireTimes(spec, at('2026-11-21T00:00:00Z'), 20, { scheduleId: 'sched-b' });
    expect(again).toEqual(a);
    expect(b.map((f) => f.actualTime)).not.toEqual(a.map((f) => f.actualTime));
    for (const f of a) {
      expect(f.actualTime - f.nominalTime).toBeGreaterThanOrEqual(0);
      expect(f.actualTime - f.nominalTime).toBeLessThan(30_000);
    }
    expect(new Set(a.map((f) => f.actualTime - f.nominalTime)).size).toBeGreaterThan(10);
  });

  it('never exceeds the gap to the next nominal time', () => {
    const fires = nextFireTimes({ interval: [{ intervalMs: 10_000 }], jitterMs: 3_600_000 }, 0, 50, {
      scheduleId: 's',
    });
    for (const f of fires) expect(f.actualTime - f.nominalTime).toBeLessThan(10_000);
    expect(deterministicJitter('s', 1, 0)).toBe(0);
  });
});

const ZONES = ['UTC', 'America/New_York', 'Europe/London', 'Australia/Lord_Howe', 'Asia/Kathmandu'];
const field = (max: number, min = 0): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constant('*'),
    fc.integer({ min, max }).map(String),
    fc
      .tuple(fc.integer({ min, max }), fc.integer({ min, max }), fc.integer({ min: 1, max: 7 }))
      .map(([a, b, s]) => `${Math.min(a, b)}-${Math.max(a, b)}/${s}`),
    fc.uniqueArray(fc.integer({ min, max }), { minLength: 1, maxLength: 3 }).map((v) => v.join(',')),
  );
const cron = fc
  .tuple(field(59), field(23), field(31, 1), field(12, 1), field(6))
  .map((parts) => parts.join(' '));
const instant = fc.integer({ min: at('2024-01-01T00:00:00Z'), max: at('2030-01-01T00:00:00Z') });

describe('nextFireTimes properties', () => {
  it('returns strictly increasing times that all match the calendar', () => {
    fc.assert(
      fc.property(cron, fc.constantFrom(...ZONES), instant, (expr, tz, after) => {
        const fires = nextFireTimes({ cronString: [expr], timezoneName: tz }, after, 5);
        const matcher = compileCalendar(cronToStructuredCalendar(expr).structuredCalendar!, createZone(tz));
        let previous = after;
        for (const f of fires) {
          expect(f.nominalTime).toBeGreaterThan(previous);
          expect(matcher.matches(f.nominalTime)).toBe(true);
          previous = f.nominalTime;
        }
      }),
      { numRuns: 150 },
    );
  });

  it('misses no matching minute (brute force over two days)', () => {
    fc.assert(
      fc.property(
        fc.tuple(field(59), field(23)).map(([m, h]) => `${m} ${h} * * *`),
        fc.constantFrom('UTC', 'America/New_York', 'Europe/London'),
        fc.constantFrom(
          at('2026-03-07T00:00:00Z'),
          at('2026-10-24T12:00:00Z'),
          at('2026-11-01T00:00:00Z'),
          at('2026-06-15T00:00:00Z'),
        ),
        (expr, tz, start) => {
          const end = start + 2 * 86_400_000;
          const matcher = compileCalendar(cronToStructuredCalendar(expr).structuredCalendar!, createZone(tz));
          const expected: number[] = [];
          for (let t = start + 60_000; t <= end; t += 60_000) if (matcher.matches(t)) expected.push(t);
          const fires = nextFireTimes({ cronString: [expr], timezoneName: tz }, start, expected.length + 1)
            .map((f) => f.nominalTime)
            .filter((t) => t <= end);
          expect(fires).toEqual(expected);
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe('nextFireTimes bounds property', () => {
  it('never returns times outside [startTime, endTime] or inside an exclusion', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 5, max: 7200 }),
        fc.integer({ min: 0, max: 3 * 86_400 }),
        fc.integer({ min: 0, max: 5 * 86_400 }),
        fc.constantFrom('UTC', 'Europe/Paris'),
        (intervalS, startOffsetS, lengthS, tz) => {
          const base = at('2026-11-16T00:00:00Z');
          const startTime = base + startOffsetS * 1000;
          const endTime = startTime + lengthS * 1000;
          const spec = {
            interval: [{ intervalMs: intervalS * 1000 }],
            cronString: ['15 */3 * * *'],
            excludeCalendar: [{ hour: '9-17', minute: '*', second: '*' }],
            startTime,
            endTime,
            timezoneName: tz,
          };
          const excluded = compileCalendar(
            {
              hour: [{ start: 9, end: 17 }],
              minute: [{ start: 0, end: 59 }],
              second: [{ start: 0, end: 59 }],
            },
            createZone(tz),
          );
          const fires = nextFireTimes(spec, base, 50);
          let previous = base;
          for (const f of fires) {
            expect(f.nominalTime).toBeGreaterThan(previous);
            expect(f.nominalTime).toBeGreaterThanOrEqual(startTime);
            expect(f.nominalTime).toBeLessThanOrEqual(endTime);
            expect(excluded.matches(f.nominalTime)).toBe(false);
            previous = f.nominalTime;
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
