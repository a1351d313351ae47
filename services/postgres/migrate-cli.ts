import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { migrate } from './migrate';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.LOG_LEVEL, name: 'migrate' });
  const direction = process.argv[2] === 'down' ? 'down' : 'up';
  const ran = await migrate({ url: config.DATABASE_URL, logger, direction });
  logger.info({ ran, direction }, ran.length ? `ran ${ran.length} migration(s)` : 'schema up to date');
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
