import { Client, Connection } from '@temporalio/client';
import { clientConnectionOptions, loadConfig } from '../config';
import { createLogger } from '../logger';
import { createDataConverter } from '../payloads';
import { createPool } from '../postgres';
import { createRedis } from '../redis';
import { onShutdownSignal } from '../shutdown-signal';
import { startGateway } from './start';

/**
 * The gateway process (`npm run gateway`): serves `somagent.v1.CapsuleService` on GATEWAY_PORT
 * until SIGINT/SIGTERM, against the Temporal cluster at TEMPORAL_ADDRESS. Tokens are checked
 * with AUTH_JWKS or AUTH_PUBLIC_KEY; it refuses to start without one of them. Run as many as
 * you like behind a load balancer: rate limits and concurrency caps are shared in Redis.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.LOG_LEVEL, name: 'gateway' });
  const pool = createPool({
    url: config.DATABASE_URL,
    max: config.DATABASE_POOL_MAX,
    applicationName: 'somagent-gateway',
  });
  const redis = createRedis({
    url: config.REDIS_URL,
    keyPrefix: config.REDIS_KEY_PREFIX,
    connectionName: 'somagent-gateway',
  });
  const connection = await Connection.connect(clientConnectionOptions(config));
  const { stopping } = onShutdownSignal();
  try {
    const client = new Client({
      connection,
      namespace: config.TEMPORAL_NAMESPACE,
      dataConverter: createDataConverter({ pool, thresholdBytes: config.PAYLOAD_CODEC_THRESHOLD_BYTES }),
    });
    const gateway = await startGateway({ config, client, pool, redis, logger });
    await stopping;
    await gateway.close();
  } finally {
    await connection.close();
    redis.disconnect();
    await pool.end();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`gateway: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
