import { status } from '@grpc/grpc-js';
import { GatewayError } from './gateway-error';

/**
 * Where a watcher is: the next index in the run's event log, and the last gate decision (outbox
 * sequence number) it was sent. Opaque to callers; `v1.` leaves room to change it.
 */
export interface WatchCursor {
  event: number;
  decision: number;
}

export const START_CURSOR: WatchCursor = { event: 0, decision: 0 };

export function encodeCursor(cursor: WatchCursor): string {
  return `v1.${cursor.event}.${cursor.decision}`;
}

export function decodeCursor(text: string): WatchCursor {
  if (text === '') return START_CURSOR;
  const match = /^v1\.(\d{1,12})\.(\d{1,18})$/.exec(text);
  if (!match) {
    throw new GatewayError(
      status.INVALID_ARGUMENT,
      'cursor is not one this gateway issued: pass the cursor of the last event received, or "" to start over',
      { 'somagent-field': 'cursor' },
    );
  }
  return { event: Number(match[1]), decision: Number(match[2]) };
}
