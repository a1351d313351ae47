import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyRequest,
} from 'fastify';
import { AuthError, type JwtVerifier, type Principal } from '../auth';
import { EnvelopeValidationError, parseEnvelope } from '../events';
import type { Logger } from '../logger';
import { type EventDispatcher, unservedReason } from './dispatch';

/** Capability a token needs to post events. */
export const PUBLISH_EVENTS_SCOPE = 'events:publish';

export interface WebhookServerDeps {
  dispatch: EventDispatcher;
  /** Verifies bearer JWTs (AUTH_JWKS / AUTH_ISSUER / AUTH_AUDIENCE). */
  verifier: JwtVerifier;
  logger: Logger;
  /** Largest accepted envelope. @default 1048576 (1 MiB) */
  bodyLimitBytes?: number;
}

/**
 * The event webhook: `POST /v1/events` takes one event envelope (the platform's envelope: id,
 * type, source, time, tenant, subject, data) from a caller holding a JWT with `events:publish`
 * whose `tenant` claim is the envelope's tenant, and starts the runs of every capsule trigger
 * that matches, through the same dispatcher as the Kafka consumer.
 *
 * Answers: 202 with the runs started (a redelivered event names the same runs), the triggers
 * filtered out and any that failed; 400 naming the envelope field at fault; 401 for a missing or
 * invalid token (checked before the body is read); 403 for a missing capability or another
 * tenant; 422 when no capsule listens for the type or no matched run could start. Returns the
 * fastify instance; the caller listens (port 0 in tests) and closes it.
 */
export function createWebhookServer({
  dispatch,
  verifier,
  logger,
  bodyLimitBytes = 1_048_576, // 1 MiB
}: WebhookServerDeps): FastifyInstance {
  // Typed as the base logger so the instance has fastify's default type, not pino's generic one.
  const serviceLogger: FastifyBaseLogger = logger.child({ component: 'event-webhook' });
  const app = Fastify({ loggerInstance: serviceLogger, bodyLimit: bodyLimitBytes });
  const principals = new WeakMap<FastifyRequest, Principal>();

  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    const { status, body } = toHttpError(error);
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    if (status === 401) void reply.header('www-authenticate', 'Bearer');
    void reply.status(status).send(body);
  });

  app.get('/health', (_request, reply) => {
    void reply.send({ status: 'ok' });
  });

  app.post(
    '/v1/events',
    {
      // Runs before the body is parsed: an unauthenticated caller learns nothing about its input.
      onRequest: async (request) => {
        principals.set(
          request,
          await verifier.authorize(request.headers.authorization, [PUBLISH_EVENTS_SCOPE]),
        );
      },
    },
    async (request, reply) => {
      const envelope = parseEnvelope(request.body);
      const claimed = principals.get(request)?.claims.tenant;
      if (typeof claimed !== 'string' || claimed === '') {
        throw new AuthError(
          403,
          'no_tenant',
          'the token has no "tenant" claim; events are accepted per tenant',
        );
      }
      if (claimed !== envelope.tenant) {
        throw new AuthError(
          403,
          'wrong_tenant',
          `the token is for tenant "${claimed}" but the event's tenant is "${envelope.tenant}"; post events only for your tenant`,
        );
      }
      const outcome = await dispatch(envelope);
      const summary = {
        eventId: outcome.eventId,
        runs: outcome.started,
        filtered: outcome.filtered,
        failed: outcome.failed,
      };
      request.log.info(
        {
          eventId: outcome.eventId,
          eventType: outcome.eventType,
          tenant: outcome.tenant,
          runs: outcome.started.length,
        },
        'event dispatched',
      );
      if (outcome.listeners === 0 || (outcome.started.length === 0 && outcome.failed.length > 0)) {
        return reply.status(422).send({
          error: outcome.listeners === 0 ? 'no_listener' : 'not_started',
          message: unservedReason(outcome),
          ...summary,
        });
      }
      return reply.status(202).send(summary);
    },
  );

  return app;
}

/** Maps errors to HTTP status codes and bodies that name the problem. */
function toHttpError(error: unknown): { status: number; body: Record<string, unknown> } {
  if (error instanceof EnvelopeValidationError) {
    return {
      status: 400,
      body: { error: 'invalid_envelope', message: error.message, issues: error.problems },
    };
  }
  if (error instanceof AuthError)
    return { status: error.status, body: { error: error.code, message: error.message } };
  const { statusCode, code } = error as { statusCode?: unknown; code?: unknown };
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    const message =
      code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
        ? 'send the envelope as JSON with "content-type: application/json"'
        : (error as Error).message;
    return { status: statusCode, body: { error: 'bad_request', message } };
  }
  return { status: 500, body: { error: 'internal', message: 'internal error; see the service log' } };
}
