import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { startConstitutionService } from './start';

/** Entry point of the constitution service; SIGINT and SIGTERM close the server and the pool. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.LOG_LEVEL, name: 'constitution' });
  const service = await startConstitutionService({ config, logger });
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    service.close().catch((err: unknown) => logger.error({ err }, 'shutdown failed'));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  process.stderr.write(`constitution: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
