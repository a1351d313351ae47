import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { createCapsuleRegistry } from '../../capsules';
import { createConfiguredVerifier, type VerificationKeys } from '../auth';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { createEventDispatcher, type EventDispatcher } from './dispatch';
import { createWebhookServer } from './webhook';

/** The dispatcher every event path shares, over the registry at `pool`. */
export function eventDispatcherFor({
  client,
  pool,
  config,
}: {
  client: Client;
  pool: Pool;
  config: Config;
}): EventDispatcher {
  return createEventDispatcher({
    client,
    capsules: createCapsuleRegistry({ pool }),
    taskQueue: config.TEMPORAL_TASK_QUEUE,
  });
}

/**
 * Serves the event webhook (`POST /v1/events`) on EVENT_WEBHOOK_HOST:`port`, its tokens checked
 * with AUTH_JWKS / AUTH_PUBLIC_KEY, else `fallbackKeys`.
 */
export async function startEventWebhook({
  config,
  dispatch,
  logger,
  port = config.EVENT_WEBHOOK_PORT,
  fallbackKeys,
}: {
  config: Config;
  dispatch: EventDispatcher;
  logger: Logger;
  port?: number;
  fallbackKeys?: VerificationKeys;
}): Promise<{ url: string; close: () => Promise<void> }> {
  const app = createWebhookServer({
    dispatch,
    verifier: createConfiguredVerifier(config, fallbackKeys),
    logger,
  });
  const url = await app.listen({ host: config.EVENT_WEBHOOK_HOST, port });
  logger.info({ url }, 'event webhook listening');
  return { url: `${url}/v1/events`, close: () => app.close() };
}
