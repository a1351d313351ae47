/**
 * A message that can never be processed (not JSON, invalid envelope, unknown schema version, data
 * a handler cannot accept). The consumer stores it in `event_dead_letters` with this message as
 * the reason and moves on; any other error is treated as transient and retried.
 */
export class EventRejectedError extends Error {
  override readonly name = 'EventRejectedError';
}
