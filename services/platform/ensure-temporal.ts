import { Connection } from '@temporalio/client';
import { startDevServer, type DevServerAuthOptions } from '../devserver';
import type { Logger } from '../logger';
import type { EmbeddedService } from './embedded-service';
import { DependencyUnavailableError } from './embedded-service';
import { freePort, isPortFree } from './free-port';

export interface TemporalEndpoint {
  address: string;
  started?: EmbeddedService;
}

/**
 * Returns a reachable Temporal frontend: the configured one, or — when unreachable and embedding
 * is allowed — the devserver, persisting to the platform's PostgreSQL (its own schema), on the
 * devserver port or a free one if that is taken, in auth mode when `auth` is given.
 */
export async function ensureTemporal({
  address,
  embedded,
  databaseUrl,
  devserverPort,
  auth,
  connectOptions = { tls: false },
  logger,
}: {
  address: string;
  embedded: boolean;
  databaseUrl: string;
  devserverPort: number;
  /** Auth mode of an embedded devserver (TEMPORAL_AUTH=jwt). */
  auth?: DevServerAuthOptions;
  /** TLS and token for the configured frontend (`clientConnectionOptions` from config). */
  connectOptions?: { tls: boolean; apiKey?: () => string };
  logger: Logger;
}): Promise<TemporalEndpoint> {
  if (await reachable(address, connectOptions)) return { address };
  if (!embedded) {
    throw new DependencyUnavailableError(
      `Temporal is not reachable at ${address}. Start it, point TEMPORAL_ADDRESS at one, or set SOMAGENT_EMBEDDED=true.`,
    );
  }
  const port = (await isPortFree(devserverPort)) ? devserverPort : await freePort();
  const server = await startDevServer({
    port,
    persistence: { kind: 'postgres', url: databaseUrl },
    ...(auth ? { auth } : {}),
    logger: logger.child({ component: 'devserver' }),
  });
  return {
    address: server.address,
    started: { kind: 'devserver', address: server.address, stop: () => server.stop() },
  };
}

/** Whether a frontend answers (GetSystemInfo, which a server in auth mode takes without a token). */
async function reachable(
  address: string,
  options: { tls: boolean; apiKey?: () => string },
): Promise<boolean> {
  try {
    const connection = await Connection.connect({ ...options, address, connectTimeout: 2_000 });
    await connection.close();
    return true;
  } catch {
    return false;
  }
}
