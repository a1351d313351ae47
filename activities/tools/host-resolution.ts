import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import { ERROR_TYPES } from '../shared/error-types';
import { ALLOWED_CIDRS_VARIABLE, type AddressPolicy } from './address-policy';
import { ToolError } from './tool-error';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address it has, as the OS would for a connection. */
export type HostResolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

/** getaddrinfo (`dns.lookup`, all addresses, in the resolver's order): /etc/hosts included. */
export const systemResolver: HostResolver = async (hostname) =>
  (await dnsLookup(hostname, { all: true, order: 'verbatim' })).map((a) => ({
    address: a.address,
    family: a.family === 6 ? 6 : 4,
  }));

/** DNS answers that will not change on a retry. */
const PERMANENT_DNS_ERRORS = new Set(['ENOTFOUND', 'ENODATA', 'EAI_NONAME', 'EAI_NODATA']);

/**
 * Resolves the host of `url` and judges every address it resolves to (or the literal address in
 * the URL) against `policy`. One refused address refuses the host: an attacker-controlled name
 * that answers with a public and a private address must not get a chance at the private one.
 * The caller connects only to the addresses returned here ({@link pinnedLookup}), so a second
 * DNS answer can never slip in between the check and the connection (DNS rebinding).
 *
 * @throws ToolError `HostNotAllowed` naming the address, its range and the variable that allows it
 */
export async function resolveCheckedAddresses(
  url: URL,
  { resolver, policy, signal }: { resolver: HostResolver; policy: AddressPolicy; signal: AbortSignal },
): Promise<ResolvedAddress[]> {
  const host = url.hostname.toLowerCase();
  const literal = host.startsWith('[') ? host.slice(1, -1) : host;
  let addresses: readonly ResolvedAddress[];
  if (isIP(literal)) {
    addresses = [{ address: literal, family: isIP(literal) === 6 ? 6 : 4 }];
  } else {
    try {
      addresses = await abortable(resolver(host), signal);
    } catch (err) {
      if (signal.aborted) throw err;
      const code = (err as { code?: unknown }).code;
      const permanent = typeof code === 'string' && PERMANENT_DNS_ERRORS.has(code);
      throw new ToolError(
        permanent ? ERROR_TYPES.ToolFailed : ERROR_TYPES.ToolUnavailable,
        `host ${host} could not be resolved${typeof code === 'string' ? ` (${code})` : ''}`,
        { cause: err, details: { host } },
      );
    }
    if (addresses.length === 0) {
      throw new ToolError(ERROR_TYPES.ToolFailed, `host ${host} resolves to no address`, {
        details: { host },
      });
    }
  }
  for (const { address } of addresses) {
    const verdict = policy.check(address);
    if (verdict.allowed) continue;
    const subject = isIP(literal)
      ? `address ${verdict.description}`
      : `host ${host} resolves to ${verdict.description}`;
    const fix =
      verdict.range === 'metadata'
        ? 'http.request never connects to it'
        : `http.request connects only to public addresses; an operator can allow the range with ${ALLOWED_CIDRS_VARIABLE} (e.g. ${ALLOWED_CIDRS_VARIABLE}=${address}/${isIP(address) === 6 ? 128 : 32})`;
    throw new ToolError(ERROR_TYPES.HostNotAllowed, `${subject}: refused; ${fix}`, {
      details: { host, address, range: verdict.range },
    });
  }
  return [...addresses];
}

/**
 * A `lookup` for `http.request` / `net.connect` that answers with the already checked addresses
 * of `host` and never asks DNS again. The Host header and the TLS server name still come from
 * the URL, so virtual hosting and certificate checks work as usual.
 */
export function pinnedLookup(host: string, addresses: readonly ResolvedAddress[]): LookupFunction {
  return (hostname, options, callback) => {
    const wanted = options.family === 4 || options.family === 6 ? options.family : undefined;
    const usable = addresses.filter((a) => wanted === undefined || a.family === wanted);
    if (hostname.toLowerCase() !== host || usable.length === 0) {
      const err: NodeJS.ErrnoException = new Error(
        `pinned lookup for ${host} asked for ${hostname}${wanted ? ` (IPv${wanted})` : ''}`,
      );
      err.code = 'ENOTFOUND';
      callback(err, '', 0);
      return;
    }
    if (options.all) callback(null, usable);
    else callback(null, usable[0]!.address, usable[0]!.family);
  };
}

/** Settles with `promise`, or rejects as soon as `signal` aborts (dns.lookup cannot be cancelled). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
