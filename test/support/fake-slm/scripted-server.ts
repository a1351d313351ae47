import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One scripted HTTP answer. `body` is sent as JSON unless it is a string. */
export interface ScriptedReply {
  status?: number;
  headers?: Record<string, string>;
  body: unknown;
  /** Wait this long before answering (to exercise timeouts and concurrency). */
  delayMs?: number;
}

/** A request the server received, with its JSON body parsed. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export type Route = (request: RecordedRequest, next: () => ScriptedReply | undefined) => ScriptedReply;

export interface ScriptedServer {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  /** Queues replies; each request takes the next one. */
  enqueue(...replies: ScriptedReply[]): void;
  /**
   * Queues replies for requests that `match` (checked before the plain queue, in the order
   * added), so concurrent callers can be scripted independently of arrival order.
   */
  enqueueWhen(match: (request: RecordedRequest) => boolean, ...replies: ScriptedReply[]): void;
  /** Replies not yet taken. */
  pending(): number;
  close(): Promise<void>;
}

export interface ScriptedServerOptions {
  /**
   * Port to listen on (127.0.0.1).
   * @default 0 (any free port)
   */
  port?: number;
}

/**
 * A local HTTP server on 127.0.0.1 with a queue of scripted replies, the base of the SLM wire
 * fakes. `route` decides per request (auth checks, unknown paths) and calls `next` to take the
 * next scripted reply.
 */
export async function startScriptedServer(
  route: Route,
  { port: listenPort = 0 }: ScriptedServerOptions = {},
): Promise<ScriptedServer> {
  const queue: ScriptedReply[] = [];
  const requests: RecordedRequest[] = [];
  const matched: Array<{ match: (request: RecordedRequest) => boolean; replies: ScriptedReply[] }> = [];
  const take = (request: RecordedRequest): ScriptedReply | undefined => {
    const rule = matched.find((m) => m.replies.length > 0 && m.match(request));
    return rule ? rule.replies.shift() : queue.shift();
  };
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        // Keep the raw text: a test may assert on a malformed request.
      }
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body,
      };
      requests.push(recorded);
      const reply = route(recorded, () => take(recorded));
      const send = () => {
        const payload = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
        res.writeHead(reply.status ?? 200, {
          'content-type': typeof reply.body === 'string' ? 'text/plain' : 'application/json',
          ...reply.headers,
        });
        res.end(payload);
      };
      if (reply.delayMs) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (!res.destroyed) send();
        }, reply.delayMs);
        timers.add(timer);
      } else {
        send();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenPort, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    enqueue: (...replies) => queue.push(...replies),
    enqueueWhen: (match, ...replies) => matched.push({ match, replies }),
    pending: () => queue.length + matched.reduce((n, m) => n + m.replies.length, 0),
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
