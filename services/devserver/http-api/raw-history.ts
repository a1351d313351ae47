import type { Metadata } from '@grpc/grpc-js';
import type { ServerResponse } from 'node:http';
import type { Logger } from '../../logger';
import { callFailure, NO_HANDLER, runCall, type ServiceBinding } from '../call-runner';
import { UnimplementedError } from '../errors';
import { messageType, type Msg } from '../proto';
import { responseToJson } from './proto-json';

/** `…/workflows/{workflow}/run/{runid}/history.json` as ui-server routes it (`ui: server/server/api/rawhistory.go`). */
export const RAW_HISTORY_SEGMENTS = [
  'api',
  'v1',
  'namespaces',
  '*',
  'workflows',
  '*',
  'run',
  '*',
  'history.json',
];

/** The namespace, workflow id and run id of a raw-history path (decoded segments), if it is one. */
export function matchRawHistory(
  segments: readonly string[],
): { namespace: string; workflowId: string; runId: string } | undefined {
  if (segments.length !== RAW_HISTORY_SEGMENTS.length) return undefined;
  const literal = RAW_HISTORY_SEGMENTS.every((s, i) => s === '*' || s === segments[i]);
  if (!literal) return undefined;
  return { namespace: segments[3]!, workflowId: segments[5]!, runId: segments[7]! };
}

const EVENT_TYPE = 'temporal.api.history.v1.HistoryEvent';

/**
 * Streams every event of a run as one JSON array, page by page, like ui-server's download
 * endpoint: 200 and `[` go out first, a failure becomes a final `{"error": "..."}` element.
 * Events are proto3 JSON (ui-server encodes Go structs with encoding/json; the proto3 JSON form
 * is what `temporal workflow show --output json` and the SDKs' history import read).
 */
export async function streamRawHistory(
  res: ServerResponse,
  binding: ServiceBinding,
  ids: { namespace: string; workflowId: string; runId: string },
  metadata: Metadata,
  signal: AbortSignal,
  logger: Logger,
): Promise<void> {
  const eventType = messageType(EVENT_TYPE);
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.write('[');
  let written = 0;
  try {
    let nextPageToken: Buffer | undefined;
    do {
      const request: Msg = {
        namespace: ids.namespace,
        execution: { workflowId: ids.workflowId, runId: ids.runId },
        ...(nextPageToken ? { nextPageToken } : {}),
      };
      const page = await runCall(binding, 'GetWorkflowExecutionHistory', metadata, request, { signal });
      if (page === NO_HANDLER) throw new UnimplementedError('GetWorkflowExecutionHistory');
      for (const event of ((page.history as Msg | undefined)?.events as Msg[] | undefined) ?? []) {
        res.write(`${written > 0 ? ',' : ''}${JSON.stringify(responseToJson(eventType, event))}\n`);
        written++;
      }
      const token = page.nextPageToken;
      nextPageToken = Buffer.isBuffer(token) && token.length > 0 ? token : undefined;
    } while (nextPageToken && !signal.aborted);
  } catch (err) {
    const failure = callFailure(err, logger, 'GetWorkflowExecutionHistory');
    res.write(`${written > 0 ? ',' : ''}${JSON.stringify({ error: failure.message })}`);
  }
  res.end(']');
}
