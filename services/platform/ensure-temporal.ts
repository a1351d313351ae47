import { Connection } from '@temporalio/client';
import { startDevServer } from '../devserver';
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
 * devserver port or a free one if that is taken.
 */
export async function ensureTemporal({
  address,
  embedded,
  databaseUrl,
  devserverPort,
  logger,
}: {
  address: string;
  embedded: boolean;
  databaseUrl: string;
  devserverPort: number;
  logger: Logger;
}): Promise<TemporalEndpoint> {
  if (await reachable(address)) return { address };
  if (!embedded) {
    throw new DependencyUnavailableError(
      `Temporal is not reachable at ${address}. Start it, point TEMPORAL_ADDRESS at one, or set SOMAGENT_EMBEDDED=true.`,
    );
  }
  const port = (await isPortFree(devserverPort)) ? devserverPort : await freePort();
  const server = await startDevServer({
    port,
    persistence: { kind: 'postgres', url: databaseUrl },
    logger: logger.child({ component: 'devserver' }),
  });
  return {
    address: server.address,
    started: { kind: 'devserver', address: server.address, stop: () => server.stop() },
  };
}

async function reachable(address: string): Promise<boolean> {
  try {
    const connection = await Connection.connect({ address, connectTimeout: 2_000 });
    await connection.close();
    return true;
  } catch {
    return false;
  }
}
