import { APIError as AnthropicApiError, APIUserAbortError as AnthropicAbortError } from '@anthropic-ai/sdk';
import { APIError as OpenAiApiError, APIUserAbortError as OpenAiAbortError } from 'openai';
import { ERROR_TYPES } from '../shared/error-types';
import { failure } from '../shared/failures';
import { redactSecrets } from './redact';

/**
 * The secret-free cause attached to SLM failures. The SDK's own error is not attached: its
 * message can echo part of the API key (OpenAI's 401) and it holds the full response.
 */
export class SlmProviderError extends Error {
  override readonly name = 'SlmProviderError';
  constructor(
    message: string,
    readonly provider: string,
    readonly status: number | undefined,
    readonly requestId: string | undefined,
  ) {
    super(message);
  }
}

/** Parses `retry-after-ms` (OpenAI), or `retry-after` in seconds or as an HTTP date, to ms. */
export function retryAfterMs(headers: Headers | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = Number(headers.get('retry-after-ms') ?? Number.NaN);
  if (Number.isFinite(ms) && ms >= 0) return Math.ceil(ms);
  const value = headers.get('retry-after');
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function isApiError(err: unknown): err is OpenAiApiError | AnthropicApiError {
  return err instanceof OpenAiApiError || err instanceof AnthropicApiError;
}

function apiMessage(err: OpenAiApiError | AnthropicApiError): string {
  if (err instanceof AnthropicApiError && err.apiMessage) return err.apiMessage;
  // OpenAI puts the body's `error` object here; some compatible servers nest it once more.
  const body: { message?: unknown; error?: { message?: unknown } } | undefined = err.error;
  const msg = body?.message ?? body?.error?.message;
  return typeof msg === 'string' ? msg : 'no message';
}

/**
 * Maps an SDK failure to the `ApplicationFailure` Temporal acts on: 4xx are final (401/403 as
 * SlmAuthFailed), 429 is retried after Retry-After, 408/409/5xx/network are retried with backoff.
 * Returns anything else (cancellation, our own failures) untouched so Temporal sees it as such.
 */
export function toSlmFailure(err: unknown, provider: string, secrets: readonly string[]): unknown {
  if (err instanceof OpenAiAbortError || err instanceof AnthropicAbortError) return err;
  if (!isApiError(err)) return err;
  const status = err.status;
  const requestId = err.requestID ?? undefined;
  if (status === undefined) {
    // No HTTP response: connection refused, reset, DNS or timeout.
    const message = `${provider}: could not reach the provider (${err.constructor.name})`;
    return failure(ERROR_TYPES.SlmUnavailable, message, {
      cause: new SlmProviderError(message, provider, undefined, requestId),
      details: { provider },
    });
  }
  const message = `${provider} answered ${status}: ${redactSecrets(apiMessage(err), secrets)}`;
  const cause = new SlmProviderError(message, provider, status, requestId);
  const details = { provider, status, requestId };
  if (status === 429) {
    const delay = retryAfterMs(err.headers);
    return failure(ERROR_TYPES.SlmRateLimited, message, {
      cause,
      details: { ...details, retryAfterMs: delay },
      nextRetryDelay: delay,
    });
  }
  if (status === 401 || status === 403)
    return failure(ERROR_TYPES.SlmAuthFailed, message, { cause, details });
  if (status === 408 || status === 409 || status >= 500) {
    return failure(ERROR_TYPES.SlmUnavailable, message, { cause, details });
  }
  return failure(ERROR_TYPES.SlmBadRequest, message, { cause, details });
}
