import path from 'node:path';
import { loadPackageDefinition, type ServiceClientConstructor, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync, type Options, type PackageDefinition } from '@grpc/proto-loader';

/** The checked-in API of the gateway (buf layout: proto/<package path>/<file>). */
export const CAPSULE_SERVICE_PROTO = path.join(__dirname, 'proto', 'somagent', 'v1', 'capsule_service.proto');
export const CAPSULE_SERVICE_NAME = 'somagent.v1.CapsuleService';

/**
 * How messages look in JavaScript on both sides: camelCase fields, enums as their names, 64-bit
 * integers as numbers (token counts fit), defaults filled in and the set `oneof` member named
 * (`event: 'step'`). Server and client load the proto with the same options.
 */
const LOAD_OPTIONS: Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [path.join(__dirname, 'proto')],
};

let loaded: PackageDefinition | undefined;

/** The package definition (cached): also what server reflection describes. */
export function capsuleServicePackage(): PackageDefinition {
  loaded ??= loadSync(CAPSULE_SERVICE_PROTO, LOAD_OPTIONS);
  return loaded;
}

/** The grpc-js client constructor, whose `.service` is the server's service definition. */
export function capsuleServiceConstructor(): ServiceClientConstructor {
  const grpcObject = loadPackageDefinition(capsuleServicePackage()) as unknown as {
    somagent: { v1: { CapsuleService: ServiceClientConstructor } };
  };
  return grpcObject.somagent.v1.CapsuleService;
}

export function capsuleServiceDefinition(): ServiceDefinition {
  return capsuleServiceConstructor().service;
}
