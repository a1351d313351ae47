import { nextCronDelayMs, validateCronSchedule } from '../../../services/devserver/cron-schedule';

const at = (iso: string): number => Date.parse(iso);

describe('validateCronSchedule', () => {
  it('accepts the cron forms workflows use', () => {
    for (const cron of ['*/5 * * * *', '@hourly', '@every 1s', 'CRON_TZ=Europe/Paris 0 9 * * MON-FRI']) {
      expect(validateCronSchedule(cron)).toBeUndefined();
    }
  });

  it('names the field and the problem', () => {
    expect(validateCronSchedule('every tuesday')).toMatch(/^cronSchedule: 'every tuesday' has 2 fields/);
    expect(validateCronSchedule('61 * * * *')).toMatch(/^cronSchedule/);
  });
});

describe('nextCronDelayMs', () => {
  it('waits for the next cron time after the run began, measured from now', () => {
    // Began 10:00:30, closing at 10:00:40: next "every minute" time is 10:01:00.
    expect(nextCronDelayMs('* * * * *', at('2030-01-01T10:00:30Z'), at('2030-01-01T10:00:40Z'))).toBe(20_000);
  });

  it('skips cron times the run overran, as the server does', () => {
    // Began 10:00:30, ran until 10:03:10: 10:01 and 10:02 and 10:03 were missed, next is 10:04.
    expect(nextCronDelayMs('* * * * *', at('2030-01-01T10:00:30Z'), at('2030-01-01T10:03:10Z'))).toBe(50_000);
  });

  it('fires at once when now is exactly a cron time after the run began', () => {
    expect(nextCronDelayMs('* * * * *', at('2030-01-01T10:00:30Z'), at('2030-01-01T10:01:00Z'))).toBe(0);
  });

  it('aligns @every intervals to multiples from the epoch', () => {
    expect(nextCronDelayMs('@every 10s', at('2030-01-01T10:00:03Z'), at('2030-01-01T10:00:03Z'))).toBe(7_000);
  });

  it('honours CRON_TZ', () => {
    // 09:00 in Paris is 08:00 UTC in January.
    const now = at('2030-01-01T07:30:00Z');
    expect(nextCronDelayMs('CRON_TZ=Europe/Paris 0 9 * * *', now, now)).toBe(30 * 60_000);
  });
});
