import type { Invocation } from '../../../activities/shared/invocation';
import { randomBytes } from 'node:crypto';
import { createRedis } from '../../../services/redis';

/** A client on the test run's Redis with the run's private key prefix (see global-setup.ts). */
export function testRedis() {
  const url = process.env.REDIS_URL;
  const keyPrefix = process.env.REDIS_KEY_PREFIX;
  if (!url || !keyPrefix) throw new Error('REDIS_URL/REDIS_KEY_PREFIX unset: run tests through jest');
  return createRedis({ url, keyPrefix, connectionName: 'somagent-test' });
}

/** A unique id for one test (tenants, workflow ids, providers). */
export function uniqueId(label: string): string {
  return `${label}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** A first-attempt activity invocation of a fresh (unique) workflow run. */
export function freshInvocation(activityId = '1'): Invocation {
  return {
    workflowId: uniqueId('wf'),
    runId: uniqueId('run'),
    activityId,
    attempt: 1,
    signal: new AbortController().signal,
  };
}
