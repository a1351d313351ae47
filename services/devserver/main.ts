import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { verificationKeysFromEnv } from '../auth';
import { createLogger } from '../logger';
import { startDevServer, type DevServerAuthOptions } from './index';

/** Default HTTP (Web UI) port when the HTTP API is switched on, as `temporal server start-dev` uses. */
const DEFAULT_HTTP_PORT = 8233;

function portParser(flag: string): (value: string) => number {
  return (value) => {
    const port = Number(value);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) {
      throw new InvalidArgumentError(`${flag} must be an integer between 0 and 65535`);
    }
    return port;
  };
}
const parsePort = portParser('--port');

/** Auth mode from the flags (a key flag implies --auth), keys from the environment otherwise. */
function authOptions(opts: {
  auth?: boolean;
  authJwks?: string;
  authPublicKey?: string;
  authIssuer?: string;
  authAudience?: string;
}): DevServerAuthOptions | undefined {
  if (!opts.auth && !opts.authJwks && !opts.authPublicKey) return undefined;
  const env =
    opts.authJwks || opts.authPublicKey
      ? {
          AUTH_JWKS: opts.authJwks,
          AUTH_PUBLIC_KEY: opts.authPublicKey ? readFileSync(opts.authPublicKey, 'utf8') : undefined,
        }
      : { AUTH_JWKS: process.env.AUTH_JWKS, AUTH_PUBLIC_KEY: process.env.AUTH_PUBLIC_KEY };
  return {
    keys: verificationKeysFromEnv(env),
    ...(opts.authIssuer ? { issuer: opts.authIssuer } : {}),
    ...(opts.authAudience ? { audience: opts.authAudience } : {}),
  };
}

async function main(): Promise<void> {
  const program = new Command('devserver')
    .description('Temporal-compatible development server (WorkflowService over gRPC)')
    .option('--port <port>', 'gRPC port (0 picks a free one)', parsePort, 7233)
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .option('--db <postgres-url>', 'keep state in this PostgreSQL database (schema temporal_dev)')
    .option('--memory', 'keep state in memory only (default)')
    .option('--namespace <name>', 'extra namespace to register besides "default"')
    .option(
      '--auth',
      'require a JWT on every call (keys from --auth-jwks / --auth-public-key, else AUTH_JWKS / AUTH_PUBLIC_KEY)',
    )
    .option('--auth-jwks <json|file|url>', 'JWKS that signs tokens (turns on --auth)')
    .option('--auth-public-key <pem-file>', 'public key (PEM, SPKI) that signs tokens (turns on --auth)')
    .option('--auth-issuer <iss>', 'expected iss of tokens (default: not checked)', process.env.AUTH_ISSUER)
    .option(
      '--auth-audience <aud>',
      'expected aud of tokens (default: not checked)',
      process.env.AUTH_AUDIENCE,
    )
    .option(
      '--http-port [port]',
      `serve the HTTP/JSON API (and --ui-dir) on this port (0 picks a free one; default ${DEFAULT_HTTP_PORT})`,
      portParser('--http-port'),
    )
    .option(
      '--ui-dir <dir>',
      `serve a built Web UI from this directory (turns on --http-port, default ${DEFAULT_HTTP_PORT})`,
    )
    .option('--log-level <level>', 'pino log level', process.env.LOG_LEVEL ?? 'info');
  program.parse();
  const opts = program.opts<{
    port: number;
    host: string;
    db?: string;
    memory?: boolean;
    namespace?: string;
    auth?: boolean;
    authJwks?: string;
    authPublicKey?: string;
    authIssuer?: string;
    authAudience?: string;
    httpPort?: number | true;
    uiDir?: string;
    logLevel: string;
  }>();
  if (opts.db && opts.memory) program.error('choose either --db or --memory, not both');
  const auth = authOptions(opts);
  const httpPort =
    typeof opts.httpPort === 'number'
      ? opts.httpPort
      : opts.httpPort || opts.uiDir
        ? DEFAULT_HTTP_PORT
        : undefined;

  const logger = createLogger({ name: 'devserver', level: opts.logLevel });
  const server = await startDevServer({
    port: opts.port,
    host: opts.host,
    persistence: opts.db ? { kind: 'postgres', url: opts.db } : { kind: 'memory' },
    ...(opts.namespace ? { namespace: opts.namespace } : {}),
    ...(auth ? { auth } : {}),
    ...(httpPort !== undefined
      ? { http: { port: httpPort, ...(opts.uiDir ? { uiDir: opts.uiDir } : {}) } }
      : {}),
    logger,
  });
  process.stdout.write(`devserver listening on ${server.address}\n`);
  if (server.httpAddress) {
    process.stdout.write(
      `devserver HTTP API on http://${server.httpAddress}/api/v1${opts.uiDir ? ` (Web UI: http://${server.httpAddress}/)` : ''}\n`,
    );
  }
  process.stdout.write(
    auth
      ? 'devserver auth: jwt (every call needs authorization: Bearer <JWT> with a permissions claim)\n'
      : 'devserver auth: off (anyone who reaches the port may call anything; --auth requires tokens)\n',
  );

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
