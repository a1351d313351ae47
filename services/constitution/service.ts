import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  LogController,
} from 'fastify';
import type { Pool } from 'pg';
import {
  buildActionDescriptor,
  type CompiledConstitution,
  ConstitutionSignatureError,
  ConstitutionValidationError,
  evaluate,
  type TrustStore,
  validateConstitution,
  verifyConstitution,
} from '../../constitution';
import { AuthError, type JwtVerifier } from '../auth';
import type { Logger } from '../logger';
import { RequestValidationError, VersionConflictError } from './errors';
import { type ConstitutionMetrics, createConstitutionMetrics } from './metrics';
import {
  historyQuerySchema,
  parseEvaluateBody,
  parseRequest,
  publishBodySchema,
  versionParamsSchema,
  whatIfBodySchema,
} from './requests';
import { type ConstitutionStore, createConstitutionStore, type StoredVersion } from './store';
import { parseSince } from './time-window';
import { runWhatIf } from './whatif';

/** Routes whose individual requests are not logged. */
const QUIET_ROUTES = new Set(['/v1/evaluate', '/health', '/metrics']);

/** Capability that publishes a new version. */
export const PUBLISH_SCOPE = 'constitution:publish';
/** Capability that reads decision history (what-if). Publishers have it implicitly. */
export const READ_SCOPE = 'constitution:read';

export interface ConstitutionServiceDeps {
  pool: Pool;
  logger: Logger;
  /** Keys trusted to sign constitutions. */
  trustStore: TrustStore;
  /** Verifies admin JWTs (AUTH_JWKS / AUTH_ISSUER / AUTH_AUDIENCE). */
  verifier: JwtVerifier;
  /**
   * Who may read versions and evaluate: `token` needs `constitution:read` (or publish) — the
   * setting wherever auth is configured; `open` serves anyone (a local machine). Health and
   * metrics stay open for probes either way. @default 'open'
   */
  readAccess?: 'open' | 'token';
  /** @default a fresh registry with default process metrics */
  metrics?: ConstitutionMetrics;
  /** How long the cached current version is served before Postgres is asked again. @default 5000 ms */
  refreshIntervalMs?: number;
  /** Largest accepted request body. @default 1 MiB */
  bodyLimitBytes?: number;
  /** Clock (signature expiry, what-if windows). @default () => new Date() */
  now?: () => Date;
}

/**
 * The constitution service: stores signed versions in Postgres, serves the current one and its
 * history, publishes new versions (signature + JWT `constitution:publish`, outbox event in the
 * same transaction), evaluates actions and runs what-if replays. Returns the fastify instance;
 * the caller listens (port 0 in tests) and closes it.
 */
export function createConstitutionService(deps: ConstitutionServiceDeps): FastifyInstance {
  const { pool, logger, trustStore, verifier } = deps;
  const metrics = deps.metrics ?? createConstitutionMetrics();
  const now = deps.now ?? (() => new Date());
  const refreshIntervalMs = deps.refreshIntervalMs ?? 5000;
  const store: ConstitutionStore = createConstitutionStore(pool);
  const readAccess = deps.readAccess ?? 'open';
  const authorizeRead = async (request: { headers: { authorization?: string | undefined } }) => {
    if (readAccess === 'token')
      await verifier.authorize(request.headers.authorization, [READ_SCOPE, PUBLISH_SCOPE]);
  };

  let current: { stored: StoredVersion; compiled: CompiledConstitution } | null = null;
  let checkedAt = -Infinity;
  let refreshing: Promise<void> | null = null;

  /** The version in force, re-checked against Postgres at most every refreshIntervalMs. */
  async function currentConstitution() {
    if (performance.now() - checkedAt > refreshIntervalMs) {
      refreshing ??= refresh().finally(() => {
        refreshing = null;
      });
      await refreshing;
    }
    return current;
  }

  async function refresh(): Promise<void> {
    const version = await store.currentVersion();
    if (version !== (current?.stored.version ?? 0)) {
      const stored = await store.current();
      // Never step back: a publish through this instance may have landed while we were reading.
      if (stored && stored.version > (current?.stored.version ?? 0)) {
        // Versions were verified when published; recompiling re-checks them against this build.
        current = { stored, compiled: validateConstitution(stored.document) };
      }
      metrics.currentVersion.set(current?.stored.version ?? 0);
    }
    checkedAt = performance.now();
  }

  // Typed as the base logger so the instance has fastify's default type, not pino's generic one.
  const serviceLogger: FastifyBaseLogger = logger.child({ component: 'constitution-service' });
  const app = Fastify({
    loggerInstance: serviceLogger,
    bodyLimit: deps.bodyLimitBytes ?? 1_048_576, // 1 MiB
    // Hot, high-volume routes are measured by metrics; logging each call would drown the rest.
    logController: new LogController({
      disableRequestLogging: (request) => QUIET_ROUTES.has(request.url.split('?')[0] ?? ''),
    }),
  });

  app.addHook('onResponse', async (request, reply) => {
    metrics.httpSeconds.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });

  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    const { status, body } = toHttpError(error);
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    if (status === 401) void reply.header('www-authenticate', 'Bearer');
    void reply.status(status).send(body);
  });

  app.get('/health', async () => {
    await pool.query('SELECT 1');
    const c = await currentConstitution();
    return { status: 'ok', currentVersion: c?.stored.version ?? null };
  });

  app.get('/metrics', async (_request, reply) => {
    void reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  app.get('/v1/constitution', async (request, reply) => {
    await authorizeRead(request);
    const c = await currentConstitution();
    if (!c)
      return reply
        .status(404)
        .send({ error: 'not_found', message: 'no constitution has been published yet' });
    return c.stored;
  });

  app.get('/v1/constitution/versions', async (request) => {
    await authorizeRead(request);
    const query = parseRequest(historyQuerySchema, request.query, 'query');
    return { versions: await store.history(query) };
  });

  app.get('/v1/constitution/versions/:version', async (request, reply) => {
    await authorizeRead(request);
    const { version } = parseRequest(versionParamsSchema, request.params, 'params');
    const stored = await store.get(version);
    if (!stored) return reply.status(404).send({ error: 'not_found', message: `no version ${version}` });
    return stored;
  });

  app.post('/v1/constitution/versions', async (request, reply) => {
    try {
      const principal = await verifier.authorize(request.headers.authorization, [PUBLISH_SCOPE]);
      const { jws } = parseRequest(publishBodySchema, request.body, 'body');
      const currentVersion = await store.currentVersion();
      const verified = await verifyConstitution(jws, trustStore, { currentVersion, now: now() });
      const { stored, event } = await store.publish(verified, jws.trim(), principal.subject);
      current = { stored, compiled: verified.compiled };
      checkedAt = performance.now();
      metrics.currentVersion.set(stored.version);
      metrics.publishes.inc({ result: 'published' });
      request.log.info(
        {
          version: stored.version,
          hash: stored.hash,
          kid: stored.signerKid,
          publishedBy: stored.publishedBy,
          eventId: event.id,
        },
        'constitution published',
      );
      const { document: _document, jws: _jws, ...summary } = stored;
      return reply.status(201).send({ ...summary, eventId: event.id });
    } catch (err) {
      metrics.publishes.inc({ result: rejectionReason(err) });
      throw err;
    }
  });

  app.post('/v1/evaluate', async (request, reply) => {
    await authorizeRead(request);
    const body = parseEvaluateBody(request.body);
    const c = await currentConstitution();
    if (!c)
      return reply
        .status(503)
        .send({ error: 'no_constitution', message: 'no constitution has been published yet' });
    const descriptor = 'descriptor' in body ? body.descriptor : buildActionDescriptor(body.action);
    const started = process.hrtime.bigint();
    const evaluation = evaluate(c.compiled, descriptor);
    metrics.evaluateSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    metrics.decisions.inc({ decision: evaluation.decision });
    return { ...evaluation, descriptor };
  });

  app.post('/v1/whatif', async (request) => {
    await verifier.authorize(request.headers.authorization, [READ_SCOPE, PUBLISH_SCOPE]);
    const body = parseRequest(whatIfBodySchema, request.body, 'body');
    let since: Date;
    try {
      since = parseSince(body.since, now());
    } catch (err) {
      throw new RequestValidationError([{ path: 'body.since', message: (err as Error).message }]);
    }
    const candidate =
      typeof body.candidate === 'string'
        ? (await verifyConstitution(body.candidate, trustStore, { now: now() })).compiled
        : validateConstitution(body.candidate);
    return runWhatIf({
      pool,
      candidate,
      since,
      until: body.until ? new Date(body.until) : now(),
      ...(body.tenant !== undefined && { tenant: body.tenant }),
      ...(body.limit !== undefined && { limit: body.limit }),
      ...(body.maxFlips !== undefined && { maxFlips: body.maxFlips }),
    });
  });

  return app;
}

/** Maps domain errors to HTTP status codes and bodies that name the problem. */
function toHttpError(error: unknown): { status: number; body: Record<string, unknown> } {
  if (error instanceof RequestValidationError) {
    return { status: 400, body: { error: 'invalid_request', message: error.message, issues: error.issues } };
  }
  if (error instanceof AuthError)
    return { status: error.status, body: { error: error.code, message: error.message } };
  if (error instanceof VersionConflictError) {
    return {
      status: 409,
      body: { error: 'rollback', message: error.message, currentVersion: error.currentVersion },
    };
  }
  if (error instanceof ConstitutionValidationError) {
    return {
      status: 422,
      body: { error: 'invalid_constitution', message: error.message, issues: error.issues },
    };
  }
  if (error instanceof ConstitutionSignatureError) {
    const status = error.problem === 'rollback' ? 409 : error.problem === 'malformed' ? 400 : 422;
    const body: Record<string, unknown> = { error: error.problem, message: error.message };
    if (error.cause instanceof ConstitutionValidationError) body.issues = error.cause.issues;
    return { status, body };
  }
  const statusCode = (error as { statusCode?: unknown }).statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return { status: statusCode, body: { error: 'bad_request', message: (error as Error).message } };
  }
  return { status: 500, body: { error: 'internal', message: 'internal error; see the service log' } };
}

function rejectionReason(err: unknown): string {
  if (err instanceof AuthError) return err.code;
  if (err instanceof ConstitutionSignatureError) return err.problem;
  if (err instanceof VersionConflictError) return 'rollback';
  if (err instanceof RequestValidationError) return 'invalid_request';
  return 'error';
}
