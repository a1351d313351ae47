import { AsyncLocalStorage } from 'node:async_hooks';
import { Client, type ScheduleClientInterceptor, type WorkflowClientInterceptor } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { IDENTITY_HEADER, type RunIdentity } from '../../workflows/shared/identity';

/**
 * The platform's client side of the run identity (workflows/shared/identity.ts): a service that
 * verified its caller (the gateway, the event webhook) starts runs inside `asCaller(identity, …)`,
 * and the client interceptor puts that identity in the start request's header. The workflow reads
 * it and its plan load checks the input against it; a Temporal frontend in auth mode accepts the
 * header only from a token with `identity:assert` or one naming the same caller.
 */

const currentCaller = new AsyncLocalStorage<RunIdentity>();

/** Runs `work` with `identity` as the caller of every workflow it starts through a forwarding client. */
export function asCaller<T>(identity: RunIdentity, work: () => Promise<T>): Promise<T> {
  return currentCaller.run(identity, work);
}

/** Sets the identity header on starts made inside {@link asCaller} (never over one already set). */
export function identityForwardingInterceptor(): WorkflowClientInterceptor {
  const withIdentity = <T extends { headers: Record<string, unknown> }>(input: T): T => {
    const identity = currentCaller.getStore();
    if (identity === undefined || input.headers[IDENTITY_HEADER] !== undefined) return input;
    return {
      ...input,
      headers: { ...input.headers, [IDENTITY_HEADER]: defaultPayloadConverter.toPayload(identity) },
    };
  };
  return {
    startWithDetails: (input, next) => next(withIdentity(input)),
    signalWithStart: (input, next) => next(withIdentity(input)),
  };
}

const forwarding = new WeakMap<Client, Client>();

/** The same for schedules: the runs a schedule created inside {@link asCaller} starts act for it. */
export function identityScheduleInterceptor(): ScheduleClientInterceptor {
  return {
    create: (input, next) => {
      const identity = currentCaller.getStore();
      if (identity === undefined || input.headers[IDENTITY_HEADER] !== undefined) return next(input);
      return next({ ...input, headers: { ...input.headers, [IDENTITY_HEADER]: identityPayload(identity) } });
    },
  };
}

/** The header value for `identity` (a json/plain payload). */
export function identityPayload(identity: RunIdentity) {
  return defaultPayloadConverter.toPayload(identity);
}

/**
 * A client over the same connection, namespace and data converter as `client`, with the
 * identity interceptors after the client's own; built once per client.
 */
export function identityForwardingClient(client: Client): Client {
  let built = forwarding.get(client);
  if (built === undefined) {
    built = buildForwardingClient(client);
    forwarding.set(client, built);
  }
  return built;
}

function buildForwardingClient(client: Client): Client {
  const { options } = client;
  const workflow = options.interceptors.workflow;
  const existing = Array.isArray(workflow) ? workflow : [];
  const schedules = options.interceptors.schedule ?? [];
  return new Client({
    connection: client.connection,
    namespace: options.namespace,
    dataConverter: options.dataConverter,
    identity: options.identity,
    interceptors: {
      ...options.interceptors,
      workflow: [...existing, identityForwardingInterceptor()],
      schedule: [...schedules, identityScheduleInterceptor()],
    },
  });
}
