import { Server, ServerCredentials } from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import { createCapsuleService, type CapsuleServiceDeps } from './capsule-service';
import { CAPSULE_SERVICE_NAME, capsuleServiceDefinition, capsuleServicePackage } from './proto';

export interface GatewayServerOptions extends CapsuleServiceDeps {
  /** Largest request message accepted, in bytes. */
  maxMessageBytes: number;
}

export interface RunningGateway {
  /** `host:port` the gateway listens on. */
  address: string;
  port: number;
  /** Stops taking calls, lets open ones finish (watch streams are cut after `graceMs`). */
  close(graceMs?: number): Promise<void>;
}

/**
 * The gateway's gRPC server: `somagent.v1.CapsuleService`, the standard health service
 * (`grpc.health.v1.Health`, per service and overall) and server reflection, so `grpcurl` and
 * `grpc_health_probe` work against it without the proto file.
 */
export async function startGatewayServer(
  options: GatewayServerOptions,
  { host, port }: { host: string; port: number },
): Promise<RunningGateway> {
  const server = new Server({
    'grpc.max_receive_message_length': options.maxMessageBytes,
    'grpc.keepalive_permit_without_calls': 1,
  });
  server.addService(capsuleServiceDefinition(), createCapsuleService(options));
  const health = new HealthImplementation({ '': 'SERVING', [CAPSULE_SERVICE_NAME]: 'SERVING' });
  health.addToServer(server);
  new ReflectionService(capsuleServicePackage()).addToServer(server);

  const bound = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (err, actual) =>
      err ? reject(err) : resolve(actual),
    );
  });
  return {
    address: `${host}:${bound}`,
    port: bound,
    async close(graceMs = 5000) {
      health.setStatus('', 'NOT_SERVING');
      health.setStatus(CAPSULE_SERVICE_NAME, 'NOT_SERVING');
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    },
  };
}
