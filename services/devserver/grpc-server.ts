import {
  Metadata,
  Server,
  ServerCredentials,
  ServerInterceptingCall,
  status,
  type sendUnaryData,
  type ServerInterceptor,
  type ServerUnaryCall,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type { Logger } from '../logger';
import { callFailure, NO_HANDLER, runCall, type ServiceBinding } from './call-runner';
import { DevServerError } from './errors';
import { decodeMessage, encodeMessage, messageType, protoRoot, type Msg } from './proto';

/**
 * grpc-js options: large histories, tolerate sdk-core's keep-alive pings, and no channelz (its
 * per-call bookkeeping is a measurable share of a call's cost and nothing here reads it).
 */
const SERVER_OPTIONS = {
  'grpc.max_receive_message_length': 128 * 1024 * 1024, // 128 MiB
  'grpc.max_send_message_length': 128 * 1024 * 1024, // 128 MiB
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.http2.min_ping_interval_without_data_ms': 1000,
  'grpc.enable_channelz': 0,
};

/**
 * The devserver takes uncompressed requests only (gRPC compression spec: a server answers a
 * message compressed with an encoding it does not support with UNIMPLEMENTED). On loopback, gzip
 * only costs CPU on both ends, and sdk-core, which gzips by default, reconnects without
 * compression when its first call (GetSystemInfo) is refused with "grpc-encoding" in the message.
 * grpc-js keeps the request's encoding in a private field of its innermost call: if a grpc-js
 * version drops it, compressed requests are simply accepted again.
 */
const refuseCompressedRequests: ServerInterceptor = (method, call) => {
  const encoding = (call as unknown as { incomingEncoding?: unknown }).incomingEncoding;
  if (typeof encoding !== 'string' || encoding === 'identity') return new ServerInterceptingCall(call);
  return new ServerInterceptingCall(call, {
    start: () => {
      const metadata = new Metadata();
      metadata.set('grpc-accept-encoding', 'identity');
      call.sendStatus({
        code: status.UNIMPLEMENTED,
        details:
          `grpc-encoding "${encoding}" is not supported by the devserver (${method.path}): ` +
          'send uncompressed requests (sdk-core falls back by itself; grpc-js clients: leave ' +
          'grpc.default_compression_algorithm unset)',
        metadata,
      });
    },
  });
};

/** Methods that may park the call and must notice its cancellation. */
const LONG_POLL_METHODS = new Set([
  'PollWorkflowTaskQueue',
  'PollActivityTaskQueue',
  'GetWorkflowExecutionHistory',
  'QueryWorkflow',
  'UpdateWorkflowExecution',
  'PollWorkflowExecutionUpdate',
  'ExecuteMultiOperation',
]);
const NEVER_ABORTED = new AbortController().signal;

function toStatus(
  err: unknown,
  logger: Logger,
  method: string,
): Partial<{ code: status; details: string; metadata: Metadata }> {
  const failure = callFailure(err, logger, method);
  if (!(failure instanceof DevServerError)) return { code: failure.code, details: failure.message };
  const metadata = new Metadata();
  const statusType = messageType('google.rpc.Status');
  metadata.set(
    'grpc-status-details-bin',
    encodeMessage(statusType, { code: failure.code, message: failure.message, details: failure.details }),
  );
  return { code: failure.code, details: failure.message, metadata };
}

/**
 * A grpc-js service definition for every unary method of a proto service, with handlers working
 * on plain objects. Methods without a handler answer UNIMPLEMENTED in the wording sdk-core
 * recognises; call cancellation reaches handlers as an AbortSignal (parked polls drop out).
 * A `guard` checks every call before its handler runs.
 */
export function buildService(
  binding: ServiceBinding,
  logger: Logger,
): { definition: ServiceDefinition; implementation: UntypedServiceImplementation } {
  const { service: serviceName, handlers, guard } = binding;
  const service = protoRoot.lookupService(serviceName) as unknown as {
    methods: Record<
      string,
      {
        requestStream?: boolean;
        responseStream?: boolean;
        resolve(): { resolvedRequestType: unknown; resolvedResponseType: unknown };
      }
    >;
  };
  const definition: Record<string, ServiceDefinition[string]> = {};
  const implementation: UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(service.methods)) {
    if (method.requestStream || method.responseStream) continue;
    const resolved = method.resolve();
    const requestType = resolved.resolvedRequestType as Parameters<typeof decodeMessage>[0];
    const responseType = resolved.resolvedResponseType as Parameters<typeof encodeMessage>[0];
    definition[name] = {
      path: `/${serviceName}/${name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: (obj: Msg) => encodeMessage(requestType, obj),
      requestDeserialize: (bytes: Buffer) => decodeMessage(requestType, bytes),
      responseSerialize: (obj: Msg) => encodeMessage(responseType, obj),
      responseDeserialize: (bytes: Buffer) => decodeMessage(responseType, bytes),
      originalName: name,
    };
    const hasHandler = Boolean(handlers[name]);
    implementation[name] = (call: ServerUnaryCall<Msg, Msg>, callback: sendUnaryData<Msg>) => {
      const unimplemented = () =>
        callback({
          code: status.UNIMPLEMENTED,
          details: `unknown method ${name}: not implemented by the devserver`,
        });
      if (!hasHandler && !guard) {
        unimplemented();
        return;
      }
      // An AbortController per call is measurable at thousands of calls/s: only long polls get one.
      // grpc-js reports 'cancelled' on every stream close, also after the answer: only abort
      // (which builds a DOMException) while the handler still runs.
      let signal = NEVER_ABORTED;
      let answered = false;
      if (LONG_POLL_METHODS.has(name)) {
        const abort = new AbortController();
        call.on('cancelled', () => {
          if (!answered) abort.abort();
        });
        signal = abort.signal;
      }
      runCall(binding, name, call.metadata, call.request, { signal }).then(
        (response) => {
          answered = true;
          if (response === NO_HANDLER) unimplemented();
          else callback(null, response);
        },
        (err: unknown) => {
          answered = true;
          callback(toStatus(err, logger, name));
        },
      );
    };
  }
  return { definition, implementation };
}

/** Binds a grpc-js server with the given services; resolves with the bound port. */
export async function listen(
  services: { definition: ServiceDefinition; implementation: UntypedServiceImplementation }[],
  host: string,
  port: number,
): Promise<{ server: Server; port: number }> {
  const server = new Server({ ...SERVER_OPTIONS, interceptors: [refuseCompressedRequests] });
  for (const s of services) server.addService(s.definition, s.implementation);
  const bound = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (err, actual) =>
      err ? reject(err) : resolve(actual),
    );
  });
  return { server, port: bound };
}
