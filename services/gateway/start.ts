import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { createCapsuleRegistry } from '../../capsules';
import { createConfiguredVerifier, type VerificationKeys } from '../auth';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { Redis } from '../redis';
import { type RunningGateway, startGatewayServer } from './server';
import { createTenantLimits } from './tenant-limits';

/**
 * Starts the gateway on shared connections (a Temporal client with the platform's data
 * converter, a Postgres pool, Redis), configured from the environment: keys from AUTH_JWKS /
 * AUTH_PUBLIC_KEY (else `fallbackKeys`, the local development set), tenant limits from
 * GATEWAY_RATE_PER_SECOND / GATEWAY_BURST / GATEWAY_MAX_CONCURRENT.
 */
export async function startGateway({
  config,
  client,
  pool,
  redis,
  logger,
  port = config.GATEWAY_PORT,
  fallbackKeys,
  watchPollMs,
}: {
  config: Config;
  client: Client;
  pool: Pool;
  redis: Redis;
  logger: Logger;
  port?: number;
  fallbackKeys?: VerificationKeys;
  watchPollMs?: number;
}): Promise<RunningGateway> {
  const verifier = createConfiguredVerifier(config, fallbackKeys);
  const gateway = await startGatewayServer(
    {
      client,
      pool,
      registry: createCapsuleRegistry({ pool }),
      verifier,
      limits: createTenantLimits({
        redis,
        ratePerSecond: config.GATEWAY_RATE_PER_SECOND,
        burst: config.GATEWAY_BURST,
        maxConcurrent: config.GATEWAY_MAX_CONCURRENT,
      }),
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      logger,
      maxMessageBytes: config.GATEWAY_MAX_MESSAGE_BYTES,
      ...(watchPollMs !== undefined ? { watchPollMs } : {}),
    },
    { host: config.GATEWAY_HOST, port },
  );
  logger.info({ address: gateway.address }, 'gateway listening');
  return gateway;
}
