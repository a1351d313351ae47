export { asCaller, identityForwardingClient, identityForwardingInterceptor } from './forward-identity';
