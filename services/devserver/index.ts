import { createLogger, type Logger } from '../logger';
import type { EngineOptions } from './context';
import { createEngine, DEFAULT_ENGINE_OPTIONS, stopEngine } from './engine';
import { createAuthorizer, type DevServerAuthOptions } from './authorizer';
import type { CallGuard, ServiceBinding } from './call-runner';
import { buildService, listen } from './grpc-server';
import { startHttpApi, type HttpApiServer } from './http-api/http-server';
import { enforceIdentityHeader } from './identity-header';
import { createMemoryStore } from './memory-store';
import { createPostgresStore } from './postgres-store';
import { createOperatorServiceHandlers } from './operator-service';
import { HEALTH_SERVICE, OPERATOR_SERVICE, WORKFLOW_SERVICE } from './proto';
import { createHealthHandlers, createWorkflowServiceHandlers } from './service';
import type { DevServerStore } from './store';

export type { DevServerStore } from './store';
export type { DevServerAuthOptions } from './authorizer';

/** How to run the devserver. */
export interface DevServerOptions {
  /** gRPC port; 0 picks a free one. @default 7233 */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** Where state lives. @default { kind: 'memory' } */
  persistence?: { kind: 'memory' } | { kind: 'postgres'; url: string };
  /** A namespace to register besides `default`. */
  namespace?: string;
  /** Injected pino logger (component `devserver`). */
  logger?: Logger;
  /** Engine tunables for tests (e.g. a short long poll); defaults mirror the real server. */
  engine?: Partial<EngineOptions>;
  /**
   * Auth mode: every WorkflowService and OperatorService call needs a JWT whose `permissions`
   * claim grants the method's role (Temporal's default authorizer and claim mapper), and start
   * calls' identity headers are checked against it (or stamped from it).
   * @default undefined (off: anyone who reaches the port may call anything)
   */
  auth?: DevServerAuthOptions;
  /**
   * Also serve Temporal's HTTP/JSON API (the `/api/v1/...` routes of the proto annotations plus
   * the ui-server's `/api/v1/settings`), over the same handlers and auth as gRPC, and optionally
   * a built Web UI from `uiDir`.
   * @default undefined (off)
   */
  http?: DevServerHttpOptions;
}

/** The HTTP/JSON API listener. */
export interface DevServerHttpOptions {
  /** HTTP port; 0 picks a free one. */
  port: number;
  /** @default the gRPC host */
  host?: string;
  /** A built single-page app (index.html + assets) served for every GET outside `/api/`. */
  uiDir?: string;
}

/** The auth-mode check of every call: role, then the identity header of runs it starts. */
function authGuard(auth: DevServerAuthOptions): CallGuard {
  const authorizer = createAuthorizer(auth);
  return async (service, method, metadata, request) => {
    const principal = await authorizer.authorize(service, method, metadata, request);
    if (principal) enforceIdentityHeader(method, request, principal);
  };
}

/** A running devserver. */
export interface DevServer {
  /** `host:port` to hand to `NativeConnection.connect` / `Connection.connect`. */
  address: string;
  /** `host:port` of the HTTP/JSON API, when `http` was asked for. */
  httpAddress?: string;
  /** Ends parked polls, stops the HTTP and gRPC servers and closes the store. */
  stop(): Promise<void>;
}

/** Grace period for in-flight calls on stop before they are cancelled. */
const STOP_GRACE_MS = 2_000;

/**
 * Starts a single-process server speaking the Temporal WorkflowService (and grpc.health.v1) API,
 * so the official `@temporalio/client` and `@temporalio/worker` run against it unmodified.
 */
export async function startDevServer(opts: DevServerOptions = {}): Promise<DevServer> {
  const host = opts.host ?? '127.0.0.1';
  const logger = (opts.logger ?? createLogger({ name: 'devserver', level: 'warn' })).child({
    component: 'devserver',
  });
  const persistence = opts.persistence ?? { kind: 'memory' };
  const store: DevServerStore =
    persistence.kind === 'postgres'
      ? createPostgresStore({ url: persistence.url, logger })
      : createMemoryStore();
  const ctx = await createEngine({
    store,
    logger,
    options: { ...DEFAULT_ENGINE_OPTIONS, ...opts.engine },
    ...(opts.namespace ? { extraNamespace: opts.namespace } : {}),
  });
  try {
    await store.commit({ namespaces: ctx.dirtyNamespaces, runs: [] });
    ctx.dirtyNamespaces = [];
    const guard = opts.auth ? authGuard(opts.auth) : undefined;
    const temporalServices: ServiceBinding[] = [
      { service: WORKFLOW_SERVICE, handlers: createWorkflowServiceHandlers(ctx), guard },
      { service: OPERATOR_SERVICE, handlers: createOperatorServiceHandlers(ctx), guard },
    ];
    const { server, port } = await listen(
      [
        ...temporalServices.map((binding) => buildService(binding, logger)),
        buildService({ service: HEALTH_SERVICE, handlers: createHealthHandlers() }, logger),
      ],
      host,
      opts.port ?? 7233,
    );
    const address = `${host}:${port}`;
    let http: HttpApiServer | undefined;
    if (opts.http) {
      try {
        http = await startHttpApi(
          { bindings: temporalServices, logger, ...(opts.http.uiDir ? { uiDir: opts.http.uiDir } : {}) },
          opts.http.host ?? host,
          opts.http.port,
        );
      } catch (err) {
        server.forceShutdown();
        throw err;
      }
    }
    logger.info(
      { address, persistence: persistence.kind, auth: opts.auth ? 'jwt' : 'off' },
      'devserver: gRPC server bound',
    );
    let stopping: Promise<void> | undefined;
    return {
      address,
      ...(http ? { httpAddress: http.address } : {}),
      stop: () => {
        stopping ??= (async () => {
          stopEngine(ctx);
          await http?.close();
          await new Promise<void>((resolve) => {
            const force = setTimeout(() => {
              server.forceShutdown();
              resolve();
            }, STOP_GRACE_MS);
            server.tryShutdown(() => {
              clearTimeout(force);
              resolve();
            });
          });
          await ctx.lastCommit;
          await store.close();
        })();
        return stopping;
      },
    };
  } catch (err) {
    stopEngine(ctx);
    await store.close();
    throw err;
  }
}
