import { Command, InvalidArgumentError } from 'commander';
import { createLogger } from '../logger';
import { startDevServer } from './index';

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new InvalidArgumentError('--port must be an integer between 0 and 65535');
  }
  return port;
}

async function main(): Promise<void> {
  const program = new Command('devserver')
    .description('Temporal-compatible development server (WorkflowService over gRPC)')
    .option('--port <port>', 'gRPC port (0 picks a free one)', parsePort, 7233)
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .option('--db <postgres-url>', 'keep state in this PostgreSQL database (schema temporal_dev)')
    .option('--memory', 'keep state in memory only (default)')
    .option('--namespace <name>', 'extra namespace to register besides "default"')
    .option('--log-level <level>', 'pino log level', process.env.LOG_LEVEL ?? 'info');
  program.parse();
  const opts = program.opts<{
    port: number;
    host: string;
    db?: string;
    memory?: boolean;
    namespace?: string;
    logLevel: string;
  }>();
  if (opts.db && opts.memory) program.error('choose either --db or --memory, not both');

  const logger = createLogger({ name: 'devserver', level: opts.logLevel });
  const server = await startDevServer({
    port: opts.port,
    host: opts.host,
    persistence: opts.db ? { kind: 'postgres', url: opts.db } : { kind: 'memory' },
    ...(opts.namespace ? { namespace: opts.namespace } : {}),
    logger,
  });
  process.stdout.write(`devserver listening on ${server.address}\n`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'devserver stopping');
    server.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'devserver: stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`devserver: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
