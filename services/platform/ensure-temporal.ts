import { existsSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { startDevServer, type DevServerAuthOptions } from '../devserver';
import type { Logger } from '../logger';
import type { EmbeddedService } from './embedded-service';
import { DependencyUnavailableError } from './embedded-service';
import { freePort, isPortFree } from './free-port';

export interface TemporalEndpoint {
  address: string;
  started?: EmbeddedService;
  /** The embedded devserver's Web UI: its URL, or why it is not served. */
  webUi?: { url: string } | { off: string };
}

/** The Temporal Web UI app `npm run build:ui` builds (services/web-ui). */
export const WEB_UI_BUILD_DIR = path.resolve(__dirname, '../web-ui/build');

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
  webUiPort,
  webUiDir = WEB_UI_BUILD_DIR,
  auth,
  connectOptions = { tls: false },
  logger,
}: {
  address: string;
  embedded: boolean;
  databaseUrl: string;
  devserverPort: number;
  /** Port of the devserver's Web UI and HTTP API (a free one when taken); undefined: not served. */
  webUiPort?: number;
  /** The built UI app. @default services/web-ui/build */
  webUiDir?: string;
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
  const webUi = webUiPlan(webUiPort, webUiDir, auth !== undefined);
  const http =
    'port' in webUi
      ? { port: (await isPortFree(webUi.port)) ? webUi.port : await freePort(), uiDir: webUiDir }
      : undefined;
  const server = await startDevServer({
    port,
    persistence: { kind: 'postgres', url: databaseUrl },
    ...(auth ? { auth } : {}),
    ...(http ? { http } : {}),
    logger: logger.child({ component: 'devserver' }),
  });
  return {
    address: server.address,
    started: { kind: 'devserver', address: server.address, stop: () => server.stop() },
    webUi: 'off' in webUi ? webUi : { url: `http://${server.httpAddress}` },
  };
}

/** Whether the embedded devserver serves the Web UI, and if not, what the user can do about it. */
function webUiPlan(port: number | undefined, dir: string, auth: boolean): { port: number } | { off: string } {
  if (port === undefined) return { off: 'not asked for' };
  // The UI sends no token of its own: against a devserver in auth mode every call would be refused.
  if (auth) return { off: 'not served with TEMPORAL_AUTH=jwt (the UI sends no token)' };
  if (!existsSync(path.join(dir, 'index.html'))) return { off: 'not built: run `npm run build:ui`' };
  return { port };
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
