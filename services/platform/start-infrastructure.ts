import type { Config } from '../config';
import type { Logger } from '../logger';
import { migrate } from '../postgres';
import type { EmbeddedService } from './embedded-service';
import { ensurePostgres } from './ensure-postgres';
import { ensureRedis } from './ensure-redis';

export interface Infrastructure {
  /** Config with DATABASE_URL / REDIS_URL pointing at what is actually running. */
  config: Config;
  /** What this process started (empty when everything configured was reachable). */
  started: EmbeddedService[];
  /** Stops what was started, newest first. */
  stop(): Promise<void>;
}

/**
 * Makes the platform's dependencies reachable: uses the configured PostgreSQL and Redis, or starts
 * embedded ones when allowed, then migrates the schema. Temporal's embedded default (the
 * devserver) is started by the platform entry point.
 */
export async function startInfrastructure(config: Config, logger: Logger): Promise<Infrastructure> {
  const started: EmbeddedService[] = [];
  const stop = async () => {
    for (const service of started.reverse()) await service.stop().catch(() => undefined);
  };
  try {
    const postgres = await ensurePostgres({
      url: config.DATABASE_URL,
      embedded: config.SOMAGENT_EMBEDDED,
      dataDir: config.SOMAGENT_DATA_DIR,
      logger,
    });
    if (postgres.started) started.push(postgres.started);
    const redis = await ensureRedis({ url: config.REDIS_URL, embedded: config.SOMAGENT_EMBEDDED, logger });
    if (redis.started) started.push(redis.started);
    const ran = await migrate({ url: postgres.url, logger });
    logger.info(
      { migrations: ran.length },
      ran.length ? `applied ${ran.length} migration(s)` : 'schema up to date',
    );
    return { config: { ...config, DATABASE_URL: postgres.url, REDIS_URL: redis.url }, started, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
