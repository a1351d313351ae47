export {
  asCaller,
  identityForwardingClient,
  identityForwardingInterceptor,
  identityPayload,
  identityScheduleInterceptor,
} from './forward-identity';
