import { createHash } from 'node:crypto';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { pipeline, type Readable } from 'node:stream';
import zlib from 'node:zlib';
import { ERROR_TYPES } from '../shared/error-types';
import { createAddressPolicy } from './address-policy';
import {
  pinnedLookup,
  resolveCheckedAddresses,
  systemResolver,
  type HostResolver,
  type ResolvedAddress,
} from './host-resolution';
import { ToolError } from './tool-error';

export interface HttpToolOptions {
  /** Hosts the worker allows: exact names or `*.example.com` (subdomains only). Empty: none. */
  allowedHosts: readonly string[];
  /**
   * Non-public address ranges the tool may connect to (CIDRs such as `10.0.0.0/8`, or single
   * addresses). Only public unicast addresses otherwise; cloud metadata addresses never.
   * @default none
   */
  allowedCidrs?: readonly string[];
  /** Largest response body read. @default 1048576 (1 MiB) */
  maxResponseBytes?: number;
  /** Whole call, redirects included. @default 15000 (15 s) */
  timeoutMs?: number;
  /** Redirects followed, each re-checked like the first request. @default 5 */
  maxRedirects?: number;
  /** Values that must never leave the process (API keys, tokens); requests carrying one are refused. */
  secrets?: readonly string[];
  /** @default getaddrinfo (`dns.lookup`) */
  resolver?: HostResolver;
}

export interface HttpRequestArgs {
  url: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}

export interface HttpRequestResult {
  status: number;
  /** Only headers that help reading the body; cookies and the like are dropped. */
  headers: Record<string, string>;
  body: string;
  bytes: number;
  /** The URL that answered: the request's own, or where its redirects led. */
  url: string;
  /** Redirects followed to get there. */
  redirects: number;
}

export interface HttpCallContext {
  /** The capsule's `allowedHosts`: a host must be on this list too. */
  guardrailHosts?: readonly string[];
  signal: AbortSignal;
  /** The call's idempotency key; sent (hashed) as `Idempotency-Key` on POST. */
  idempotencyKey?: string;
}

/**
 * Header that carries the call's idempotency key on a POST (IETF draft
 * "The Idempotency-Key HTTP Header Field"): a service that honours it applies a retried request
 * once. The execution log cannot cover a request that was sent but whose worker died before
 * recording it; the remote service can.
 */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

/** The header value: opaque (a hash), so workflow and run ids do not leave the platform. */
export function idempotencyKeyHeaderValue(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Request headers that carry credentials; the model may not set them. */
const CREDENTIAL_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'x-api-key',
  'api-key',
  'x-auth-token',
  'x-amz-security-token',
]);
/**
 * Headers the tool itself sets from the URL and the body. `host` above all: a model-chosen Host
 * would reach another virtual host behind the checked address.
 */
const MANAGED_HEADERS = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'proxy-connection',
  'accept-encoding',
]);
/** Dropped when a redirect turns a POST into a GET (WHATWG fetch, "request-body-header name"). */
const BODY_HEADERS = new Set(['content-type', 'content-encoding', 'content-language', 'content-location']);
const RESPONSE_HEADERS = [
  'content-type',
  'content-length',
  'location',
  'retry-after',
  'etag',
  'last-modified',
];
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Codings we decode; what fetch accepted before this tool made its own connections. */
const ACCEPT_ENCODING = 'gzip, deflate, br';

function hostAllowed(host: string, patterns: readonly string[]): boolean {
  return patterns.some((raw) => {
    const pattern = raw.trim().toLowerCase();
    return pattern.startsWith('*.') ? host.endsWith(pattern.slice(1)) : host === pattern;
  });
}

interface Hop {
  url: URL;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body: string | undefined;
}

/**
 * `http.request`: GET or POST to allow-listed hosts at allowed addresses. The capsule's
 * `allowedHosts` can only narrow the worker's list (a host must be on both). Every hop — the
 * request and each redirect, followed here up to `maxRedirects` — passes the host allowlist and
 * the address policy, and connects to exactly the addresses that were checked. Bodies are capped;
 * credentials are neither added nor accepted from the model.
 *
 * `precheck` runs the same checks for the first hop without sending anything: the constitution
 * gate asks it before it puts a call up for human review, so nobody is asked to approve a call
 * the tool would refuse.
 */
export function createHttpRequester({
  allowedHosts,
  allowedCidrs = [],
  maxResponseBytes = 1024 * 1024,
  timeoutMs = 15_000,
  maxRedirects = 5,
  secrets = [],
  resolver = systemResolver,
}: HttpToolOptions) {
  const policy = createAddressPolicy({ allowedCidrs });

  const refuseSecrets = (parts: readonly string[]) => {
    if (secrets.some((s) => s && parts.some((p) => p.includes(s)))) {
      // Do not say which secret, nor echo the request.
      throw new ToolError(
        ERROR_TYPES.ToolArgumentsInvalid,
        'the request contains a credential of this deployment; refused',
      );
    }
  };

  /** Allowlist and address policy for one hop; returns the addresses to connect to. */
  const checkTarget = async (url: URL, ctx: HttpCallContext, via?: URL): Promise<ResolvedAddress[]> => {
    const host = url.hostname.toLowerCase();
    const guardrail = ctx.guardrailHosts;
    if (!hostAllowed(host, allowedHosts) || (guardrail && !hostAllowed(host, guardrail))) {
      const where = via ? `redirect from ${via.hostname} to host ${host}` : `host ${host}`;
      throw new ToolError(ERROR_TYPES.HostNotAllowed, `${where} is not on the allowlist`, {
        details: { host, allowedHosts: guardrail ?? allowedHosts },
      });
    }
    return resolveCheckedAddresses(url, { resolver, policy, signal: ctx.signal });
  };

  /** The first hop from the model's arguments: everything the tool refuses before sending. */
  const firstHop = (args: HttpRequestArgs, idempotencyKey: string | undefined): Hop => {
    const url = parseTarget(args.url);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(args.headers ?? {})) {
      const lower = name.toLowerCase();
      if (CREDENTIAL_HEADERS.has(lower)) {
        throw new ToolError(
          ERROR_TYPES.ToolArgumentsInvalid,
          `arguments.headers.${name}: credential headers may not be sent`,
        );
      }
      if (MANAGED_HEADERS.has(lower)) {
        throw new ToolError(
          ERROR_TYPES.ToolArgumentsInvalid,
          `arguments.headers.${name}: set by the tool from the URL and body; remove it`,
        );
      }
      headers[name] = value;
    }
    if (args.method === 'POST' && idempotencyKey) {
      // The platform's key wins over one the model made up: only it is stable across retries.
      for (const name of Object.keys(headers)) {
        if (name.toLowerCase() === IDEMPOTENCY_KEY_HEADER.toLowerCase()) delete headers[name];
      }
      headers[IDEMPOTENCY_KEY_HEADER] = idempotencyKeyHeaderValue(idempotencyKey);
    }
    refuseSecrets([args.url, args.body ?? '', ...Object.values(headers)]);
    if (args.method === 'GET' && args.body !== undefined) {
      throw new ToolError(
        ERROR_TYPES.ToolArgumentsInvalid,
        'arguments.body: GET requests have no body; use POST',
      );
    }
    return { url, method: args.method, headers, body: args.body };
  };

  async function request(args: HttpRequestArgs, ctx: HttpCallContext): Promise<HttpRequestResult> {
    let hop = firstHop(args, ctx.idempotencyKey);
    const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]);
    const callCtx = { ...ctx, signal };
    let previous: URL | undefined;
    for (let redirects = 0; ; redirects++) {
      const addresses = await guard(checkTarget(hop.url, callCtx, previous), hop.url, ctx.signal, timeoutMs);
      const response = await guard(send(hop, addresses, signal), hop.url, ctx.signal, timeoutMs);
      const location = response.headers.location;
      if (!REDIRECT_STATUSES.has(response.statusCode ?? 0) || typeof location !== 'string') {
        return {
          ...(await guard(readBody(response, hop.url, maxResponseBytes), hop.url, ctx.signal, timeoutMs)),
          url: hop.url.href,
          redirects,
        };
      }
      response.destroy();
      if (redirects >= maxRedirects) {
        throw new ToolError(
          ERROR_TYPES.ToolFailed,
          `stopped after ${maxRedirects} redirects (the next one went to ${safeHost(location, hop.url)})`,
          { details: { host: hop.url.hostname, maxRedirects } },
        );
      }
      previous = hop.url;
      hop = redirectHop(hop, response.statusCode!, location);
      refuseSecrets([hop.url.href]);
    }
  }

  async function precheck(args: HttpRequestArgs, ctx: Omit<HttpCallContext, 'idempotencyKey'>) {
    const hop = firstHop(args, undefined);
    await checkTarget(hop.url, ctx);
  }

  return { request, precheck };
}

export type HttpRequester = ReturnType<typeof createHttpRequester>;

function parseTarget(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ToolError(ERROR_TYPES.ToolArgumentsInvalid, `arguments.url: not a valid URL: ${raw}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ToolError(
      ERROR_TYPES.ToolArgumentsInvalid,
      `arguments.url: only http and https are allowed, got ${url.protocol}`,
    );
  }
  if (url.username || url.password) {
    throw new ToolError(
      ERROR_TYPES.ToolArgumentsInvalid,
      'arguments.url: credentials in the URL are not allowed',
    );
  }
  return url;
}

/** The next hop of a redirect, with fetch's method and header rules. */
function redirectHop(from: Hop, status: number, location: string): Hop {
  let url: URL;
  try {
    url = new URL(location, from.url);
  } catch {
    throw new ToolError(ERROR_TYPES.ToolFailed, `${from.url.hostname} redirected to an invalid URL`, {
      details: { host: from.url.hostname },
    });
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password) {
    throw new ToolError(
      ERROR_TYPES.ToolFailed,
      `${from.url.hostname} redirected to a ${url.protocol} URL${url.username || url.password ? ' with credentials' : ''}; only plain http(s) is followed`,
      { details: { host: from.url.hostname } },
    );
  }
  // 303 always, and 301/302 after a POST, continue as a GET without the body (as browsers do).
  const toGet = status === 303 || ((status === 301 || status === 302) && from.method === 'POST');
  if (!toGet) return { ...from, url };
  const headers = Object.fromEntries(
    Object.entries(from.headers).filter(
      ([name]) =>
        !BODY_HEADERS.has(name.toLowerCase()) && name.toLowerCase() !== IDEMPOTENCY_KEY_HEADER.toLowerCase(),
    ),
  );
  return { url, method: 'GET', headers, body: undefined };
}

function send(
  hop: Hop,
  addresses: readonly ResolvedAddress[],
  signal: AbortSignal,
): Promise<IncomingMessage> {
  const host = hop.url.hostname.toLowerCase();
  const transport = hop.url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.request(hop.url, {
      method: hop.method,
      headers: { ...hop.headers, 'accept-encoding': ACCEPT_ENCODING },
      // Connect to the checked addresses only; `hostname` (Host header, TLS SNI and certificate
      // check) stays the URL's. No shared agent: a pooled socket belongs to an earlier check.
      lookup: pinnedLookup(host, addresses),
      agent: false,
      signal,
    });
    req.once('response', resolve);
    req.once('error', reject);
    req.end(hop.body);
  });
}

async function readBody(
  response: IncomingMessage,
  url: URL,
  maxResponseBytes: number,
): Promise<Omit<HttpRequestResult, 'url' | 'redirects'>> {
  const host = url.hostname;
  const declared = Number(response.headers['content-length'] ?? Number.NaN);
  if (declared > maxResponseBytes) {
    response.destroy();
    throw new ToolError(
      ERROR_TYPES.ResponseTooLarge,
      `response of ${declared} bytes exceeds the ${maxResponseBytes}-byte cap`,
      { details: { host, bytes: declared, maxResponseBytes } },
    );
  }
  const body = decoded(response);
  const chunks: Buffer[] = [];
  let bytes = 0;
  try {
    for await (const chunk of body) {
      const value = chunk as Buffer;
      bytes += value.byteLength;
      // The cap is on what we keep (decoded), so a small compressed body cannot blow it up.
      if (bytes > maxResponseBytes) {
        throw new ToolError(
          ERROR_TYPES.ResponseTooLarge,
          `response exceeds the ${maxResponseBytes}-byte cap`,
          {
            details: { host, maxResponseBytes },
          },
        );
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof ToolError || isAbort(err)) throw err; // `guard` tells cancellation from timeout
    throw new ToolError(ERROR_TYPES.ToolUnavailable, `reading the response from ${host} failed`, {
      cause: err,
      details: { host },
    });
  } finally {
    response.destroy();
    body.destroy();
  }
  const kept: Record<string, string> = {};
  for (const name of RESPONSE_HEADERS) {
    const value = response.headers[name];
    if (value !== undefined) kept[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return {
    status: response.statusCode ?? 0,
    headers: kept,
    body: Buffer.concat(chunks).toString('utf8'),
    bytes,
  };
}

function decoded(response: IncomingMessage): Readable {
  const coding = String(response.headers['content-encoding'] ?? '')
    .trim()
    .toLowerCase();
  const decoder =
    coding === 'gzip' || coding === 'x-gzip'
      ? zlib.createGunzip()
      : coding === 'deflate'
        ? zlib.createInflate()
        : coding === 'br'
          ? zlib.createBrotliDecompress()
          : null;
  if (!decoder) return response;
  // pipeline forwards an error of either side to the decoder the caller reads from.
  pipeline(response, decoder, () => undefined);
  return decoder;
}

/**
 * Maps what is not already a ToolError (socket errors, aborts) to one, naming the host. A
 * cancelled activity rethrows the cancellation as it is; our own timeout is retryable.
 */
async function guard<T>(
  step: Promise<T>,
  url: URL,
  callerSignal: AbortSignal,
  timeoutMs: number,
): Promise<T> {
  try {
    return await step;
  } catch (err) {
    if (err instanceof ToolError || callerSignal.aborted) throw err;
    const host = url.hostname;
    const timedOut = isAbort(err);
    throw new ToolError(
      ERROR_TYPES.ToolUnavailable,
      timedOut
        ? `request to ${host} timed out after ${timeoutMs} ms`
        : `request to ${host} failed: ${(err as Error).message}`,
      { cause: err, details: { host } },
    );
  }
}

/** The call's signal fired: the caller's cancellation or, when that did not fire, our timeout. */
function isAbort(err: unknown): boolean {
  const name = (err as { name?: unknown } | null)?.name;
  return name === 'AbortError' || name === 'TimeoutError';
}

function safeHost(location: string, base: URL): string {
  try {
    return new URL(location, base).hostname;
  } catch {
    return 'an invalid URL';
  }
}
