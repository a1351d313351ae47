import { Metadata, status } from '@grpc/grpc-js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Logger } from '../../logger';
import { callFailure, NO_HANDLER, runCall, type ServiceBinding } from '../call-runner';
import { InvalidArgumentError, UnimplementedError } from '../errors';
import {
  buildHttpRoutes,
  decodePathSegments,
  MalformedPathError,
  matchRoute,
  type HttpRoute,
} from './http-routes';
import { failureOf, statusFailure, type HttpFailure } from './http-status';
import { requestFromJson, responseToJson, type Json, type JsonObject } from './proto-json';
import { matchRawHistory, streamRawHistory } from './raw-history';
import { applyPathParams, applyQueryParams, canonicalPaths } from './request-fields';
import { sendMarkdownPage } from './markdown-page';
import { resolveStatic, sendStatic } from './static-files';
import { uiSettings, uiUser } from './ui-settings';

/** How to serve Temporal's HTTP/JSON API (and optionally the Web UI) next to gRPC. */
export interface HttpApiOptions {
  /** The services to answer, sharing handlers and auth guard with the gRPC server. */
  bindings: readonly ServiceBinding[];
  logger: Logger;
  /** A built single-page app (index.html + assets) to serve for every GET outside `/api/`. */
  uiDir?: string;
  /** Namespace `/api/v1/settings` tells the UI to open. @default 'default' */
  defaultNamespace?: string;
  /** Largest request body accepted. @default 8 MiB */
  maxBodyBytes?: number;
}

/** A listening HTTP API server. */
export interface HttpApiServer {
  /** `host:port`. */
  address: string;
  /** Stops accepting, ends open connections (parked long polls are aborted) and resolves when closed. */
  close(): Promise<void>;
}

const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024; // 8 MiB
/** Only the `/api/v1/…` bindings are served: the legacy `/namespaces/…` forms are the UI's own page routes. */
const API_PREFIX = '/api/';

class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

function sendJson(res: ServerResponse, httpStatus: number, body: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(httpStatus, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

function sendFailure(res: ServerResponse, failure: HttpFailure): void {
  sendJson(res, failure.httpStatus, failure.body);
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit)
    return Promise.reject(
      new BodyTooLargeError(`request body of ${declared} bytes exceeds the ${limit}-byte limit`),
    );
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLargeError(`request body exceeds the ${limit}-byte limit`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseBody(raw: Buffer): Json {
  const text = raw.toString('utf8').trim();
  if (text === '') return {};
  try {
    return JSON.parse(text) as Json;
  } catch (err) {
    throw new InvalidArgumentError(
      `request body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

/** The request JSON per the route's body rule: the whole request, one field, or nothing. */
function requestJson(route: HttpRoute, body: Json | undefined): JsonObject {
  if (route.body === undefined || body === undefined) return {};
  if (route.body === '*') {
    if (body === null) return {};
    if (typeof body !== 'object' || Array.isArray(body)) {
      throw new InvalidArgumentError(
        `request body must be a JSON object (${route.requestType.fullName.replace(/^\./, '')})`,
      );
    }
    return body;
  }
  return { [route.body]: body };
}

/** The gRPC metadata an HTTP request carries: its bearer token, like grpc-gateway forwards it. */
function metadataOf(req: IncomingMessage): Metadata {
  const metadata = new Metadata();
  const authorization = req.headers.authorization;
  if (authorization) metadata.set('authorization', authorization);
  return metadata;
}

/** An AbortSignal that fires when the client goes away before the answer is written. */
function requestSignal(res: ServerResponse): AbortSignal {
  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  return abort.signal;
}

/** Starts the HTTP/JSON API on `host:port` (0 picks a free port). */
export async function startHttpApi(
  options: HttpApiOptions,
  host: string,
  port: number,
): Promise<HttpApiServer> {
  const { logger, maxBodyBytes = DEFAULT_MAX_BODY_BYTES } = options;
  const uiDir = options.uiDir ? path.resolve(options.uiDir) : undefined;
  const bindings = new Map(options.bindings.map((b) => [b.service, b]));
  const routes = buildHttpRoutes([...bindings.keys()]).filter((r) => r.template.startsWith(API_PREFIX));
  const pathFields = new Map(
    routes.map((r) => [
      r,
      canonicalPaths(
        r.requestType,
        r.segments.flatMap((s) => ('field' in s ? [s.field] : [])),
      ),
    ]),
  );
  const workflowService = options.bindings.find((b) => b.service.endsWith('.WorkflowService'));

  async function serveApi(
    req: IncomingMessage,
    res: ServerResponse,
    rawPath: string,
    query: URLSearchParams,
  ): Promise<void> {
    const verb = req.method ?? 'GET';
    const segments = decodePathSegments(rawPath);
    const joined = segments.join('/');
    if (verb === 'GET' && joined === 'api/v1/settings') {
      sendJson(res, 200, uiSettings({ defaultNamespace: options.defaultNamespace ?? 'default' }));
      return;
    }
    if (verb === 'GET' && joined === 'api/v1/me') {
      sendJson(res, 200, uiUser());
      return;
    }
    const rawHistory = verb === 'GET' && workflowService ? matchRawHistory(segments) : undefined;
    if (rawHistory && workflowService) {
      await streamRawHistory(res, workflowService, rawHistory, metadataOf(req), requestSignal(res), logger);
      return;
    }
    const found = matchRoute(routes, verb, segments);
    if (!found) {
      sendFailure(res, statusFailure(status.NOT_FOUND, 'Not Found'));
      return;
    }
    if ('methodNotAllowed' in found) {
      res.setHeader('Allow', found.methodNotAllowed.join(', '));
      sendFailure(res, statusFailure(status.UNIMPLEMENTED, 'Method Not Allowed', [], 405));
      return;
    }
    const { route, params } = found;
    const body = route.body !== undefined ? parseBody(await readBody(req, maxBodyBytes)) : undefined;
    const json = requestJson(route, body);
    applyPathParams(route.requestType, json, params);
    // grpc-gateway reads query parameters only when the body does not carry the whole request.
    if (route.body !== '*') applyQueryParams(route.requestType, json, query, pathFields.get(route)!);
    const request = requestFromJson(route.requestType, json);
    const binding = bindings.get(route.service)!;
    const response = await runCall(binding, route.method, metadataOf(req), request, {
      signal: requestSignal(res),
    });
    if (response === NO_HANDLER) throw new UnimplementedError(route.method);
    sendJson(res, 200, responseToJson(route.responseType, response));
  }

  async function serveStatic(req: IncomingMessage, res: ServerResponse, rawPath: string): Promise<void> {
    const verb = req.method ?? 'GET';
    if (!uiDir || (verb !== 'GET' && verb !== 'HEAD')) {
      sendFailure(res, statusFailure(status.NOT_FOUND, 'Not Found'));
      return;
    }
    const found = await resolveStatic(uiDir, rawPath);
    if ('refused' in found) {
      sendFailure(
        res,
        statusFailure(
          found.refused === 400 ? status.INVALID_ARGUMENT : status.NOT_FOUND,
          found.refused === 400 ? 'Bad Request' : 'Not Found',
          [],
          found.refused,
        ),
      );
      return;
    }
    sendStatic(res, uiDir, found, verb === 'HEAD');
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q < 0 ? url : url.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
    try {
      if (rawPath.startsWith(API_PREFIX)) await serveApi(req, res, rawPath, query);
      else if (uiDir && rawPath === '/render' && req.method === 'GET') sendMarkdownPage(res, query);
      else await serveStatic(req, res, rawPath);
    } catch (err) {
      if (err instanceof BodyTooLargeError) {
        res.setHeader('Connection', 'close');
        sendFailure(res, statusFailure(status.RESOURCE_EXHAUSTED, err.message, [], 413));
      } else if (err instanceof MalformedPathError) {
        sendFailure(res, statusFailure(status.INVALID_ARGUMENT, err.message));
      } else {
        sendFailure(res, failureOf(callFailure(err, logger, `HTTP ${req.method ?? ''} ${rawPath}`)));
      }
    }
  }

  const server: Server = createServer((req, res) => {
    void handle(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  logger.info({ address: `${host}:${bound}`, routes: routes.length, uiDir }, 'devserver: HTTP API bound');
  return {
    address: `${host}:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
