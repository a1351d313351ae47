import { runSomagent } from '../../../support/cli';
import { testRedis, uniqueId } from '../../activities/helpers';
import { createBudgetStore } from '../../../../activities/budget/budget-store';

const run = (args: string[]) => runSomagent(...args);

describe('somagent budget / payloads commands', () => {
  const redis = testRedis();
  afterAll(() => redis.quit());

  it('sets and shows a tenant budget in the same Redis the activities use', async () => {
    const tenant = uniqueId('cli-tenant');
    expect(JSON.parse(await run(['budget', 'set', tenant, '12.5']))).toMatchObject({
      tenant,
      limitUsd: 12.5,
      remainingUsd: 12.5,
    });
    await createBudgetStore({ redis }).reserve({ tenant, reservationId: 'r', amountUsd: 2.5 });
    expect(JSON.parse(await run(['budget', 'show', tenant]))).toMatchObject({
      reservedUsd: 2.5,
      remainingUsd: 10,
    });
    expect(JSON.parse(await run(['budget', 'set', tenant, 'none']))).toMatchObject({ limitUsd: null });
  });

  it('rejects a bad limit naming the argument and the fix', async () => {
    await expect(run(['budget', 'set', 't', '-3'])).rejects.toThrow(/limit: expected a non-negative amount/);
  });

  it('prunes payloads by age', async () => {
    expect(JSON.parse(await run(['payloads', 'prune', '--older-than-days', '3650']))).toEqual({
      deleted: 0,
      olderThanDays: 3650,
    });
    await expect(run(['payloads', 'prune', '--older-than-days', '0'])).rejects.toThrow(/--older-than-days/);
  });
});
