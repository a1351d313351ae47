export { CAPABILITIES, type Caller, type Capability } from './caller';
export {
  type CapsuleClient,
  type CapsuleClientOptions,
  type CapsuleRunInfo,
  type CapsuleRunView,
  createCapsuleClient,
  GatewayCallError,
  type WatchEvent,
} from './client';
export { CAPSULE_SERVICE_NAME, CAPSULE_SERVICE_PROTO } from './proto';
export { type RunningGateway, startGatewayServer } from './server';
export { startGateway } from './start';
export { createTenantLimits, type TenantLimits } from './tenant-limits';
