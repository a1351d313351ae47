import { createHash } from 'node:crypto';
import { ERROR_TYPES } from '../shared/error-types';
import { ToolError } from './tool-error';

export interface HttpToolOptions {
  /** Hosts the worker allows: exact names or `*.example.com` (subdomains only). Empty: none. */
  allowedHosts: readonly string[];
  /** Largest response body read. @default 1048576 (1 MiB) */
  maxResponseBytes?: number;
  /** @default 15000 (15 s) */
  timeoutMs?: number;
  /** Values that must never leave the process (API keys, tokens); requests carrying one are refused. */
  secrets?: readonly string[];
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
const RESPONSE_HEADERS = [
  'content-type',
  'content-length',
  'location',
  'retry-after',
  'etag',
  'last-modified',
];

function hostAllowed(host: string, patterns: readonly string[]): boolean {
  return patterns.some((raw) => {
    const pattern = raw.trim().toLowerCase();
    return pattern.startsWith('*.') ? host.endsWith(pattern.slice(1)) : host === pattern;
  });
}

/**
 * `http.request`: GET or POST to allow-listed hosts. The capsule's `allowedHosts` can only
 * narrow the worker's list (a host must be on both). Redirects are not followed (the next call
 * goes through the allowlist again); bodies are capped; credentials are neither added nor
 * accepted from the model.
 */
export function createHttpRequester({
  allowedHosts,
  maxResponseBytes = 1024 * 1024,
  timeoutMs = 15_000,
  secrets = [],
}: HttpToolOptions) {
  return async function httpRequest(
    args: HttpRequestArgs,
    {
      guardrailHosts,
      signal,
      idempotencyKey,
    }: {
      guardrailHosts?: readonly string[];
      signal: AbortSignal;
      /** The call's idempotency key; sent (hashed) as `Idempotency-Key` on POST. */
      idempotencyKey?: string;
    },
  ): Promise<HttpRequestResult> {
    let url: URL;
    try {
      url = new URL(args.url);
    } catch {
      throw new ToolError(ERROR_TYPES.ToolArgumentsInvalid, `arguments.url: not a valid URL: ${args.url}`);
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
    const host = url.hostname.toLowerCase();
    if (!hostAllowed(host, allowedHosts) || (guardrailHosts && !hostAllowed(host, guardrailHosts))) {
      throw new ToolError(ERROR_TYPES.HostNotAllowed, `host ${host} is not on the allowlist`, {
        details: { host, allowedHosts: guardrailHosts ?? allowedHosts },
      });
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(args.headers ?? {})) {
      if (CREDENTIAL_HEADERS.has(name.toLowerCase())) {
        throw new ToolError(
          ERROR_TYPES.ToolArgumentsInvalid,
          `arguments.headers.${name}: credential headers may not be sent`,
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
    const outgoing = [args.url, args.body ?? '', ...Object.values(headers)].join('\n');
    if (secrets.some((s) => s && outgoing.includes(s))) {
      // Do not say which secret, nor echo the request.
      throw new ToolError(
        ERROR_TYPES.ToolArgumentsInvalid,
        'the request contains a credential of this deployment; refused',
      );
    }
    if (args.method === 'GET' && args.body !== undefined) {
      throw new ToolError(
        ERROR_TYPES.ToolArgumentsInvalid,
        'arguments.body: GET requests have no body; use POST',
      );
    }

    let response: Response;
    try {
      response = await fetch(url, {
        method: args.method,
        headers,
        body: args.body,
        redirect: 'manual',
        signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      });
    } catch (err) {
      if (signal.aborted) throw err;
      throw new ToolError(
        ERROR_TYPES.ToolUnavailable,
        `request to ${host} failed: ${(err as Error).message}`,
        {
          cause: err,
          details: { host },
        },
      );
    }
    const declared = Number(response.headers.get('content-length') ?? Number.NaN);
    if (declared > maxResponseBytes) {
      await response.body?.cancel();
      throw new ToolError(
        ERROR_TYPES.ResponseTooLarge,
        `response of ${declared} bytes exceeds the ${maxResponseBytes}-byte cap`,
        {
          details: { host, bytes: declared, maxResponseBytes },
        },
      );
    }
    const chunks: Uint8Array[] = [];
    let bytes = 0;
    if (response.body) {
      try {
        // Leaving the loop early (cap reached) cancels the stream and frees the connection.
        for await (const chunk of response.body) {
          const value = chunk as Uint8Array;
          bytes += value.byteLength;
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
        if (err instanceof ToolError || signal.aborted) throw err;
        throw new ToolError(ERROR_TYPES.ToolUnavailable, `reading the response from ${host} failed`, {
          cause: err,
          details: { host },
        });
      }
    }
    const kept: Record<string, string> = {};
    for (const name of RESPONSE_HEADERS) {
      const value = response.headers.get(name);
      if (value !== null) kept[name] = value;
    }
    return { status: response.status, headers: kept, body: Buffer.concat(chunks).toString('utf8'), bytes };
  };
}

export type HttpRequester = ReturnType<typeof createHttpRequester>;
