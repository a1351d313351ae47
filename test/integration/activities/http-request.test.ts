import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createSecureContext } from 'node:tls';
import { gzipSync } from 'node:zlib';
import { ERROR_TYPES } from '../../../activities/shared/error-types';
import type { HostResolver, ResolvedAddress } from '../../../activities/tools/host-resolution';
import {
  createHttpRequester,
  type HttpRequestArgs,
  type HttpToolOptions,
} from '../../../activities/tools/http-request';
import { ToolError } from '../../../activities/tools/tool-error';

// Real sockets against local servers. Names other than `localhost` do not exist in DNS here, so
// tests that need one (a name answering with a private address, a rebinding name) give the
// requester its own resolver: the one seam the tool has for where a name points.

interface Received {
  method: string;
  url: string;
  host: string | undefined;
  headers: IncomingMessage['headers'];
  body: string;
}

/** An HTTP server on `address` that records requests and answers through `route`. */
async function startServer(
  address: string,
  route: (req: IncomingMessage, res: ServerResponse, origin: string) => void,
): Promise<{ server: Server; origin: string; port: number; received: Received[] }> {
  const received: Received[] = [];
  let origin = '';
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({
        method: req.method!,
        url: req.url!,
        host: req.headers.host,
        headers: req.headers,
        body,
      });
      route(req, res, origin);
    });
  });
  await new Promise<void>((r) => server.listen(0, address, r));
  const port = (server.address() as AddressInfo).port;
  origin = `http://${address}:${port}`;
  return { server, origin, port, received };
}

async function stop(server: Server | TlsServer | undefined) {
  if (!server) return;
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
}

function failureOf(promise: Promise<unknown>): Promise<ToolError> {
  return promise.then(
    () => {
      throw new Error('expected the request to be refused');
    },
    (err: unknown) => {
      expect(err).toBeInstanceOf(ToolError);
      return err as ToolError;
    },
  );
}

/** A resolver over a fixed map, recording every name it is asked for. */
function mappedResolver(map: Record<string, string[]>, asked: string[] = []): HostResolver {
  return (hostname) => {
    asked.push(hostname);
    const addresses = map[hostname];
    if (!addresses) return Promise.reject(Object.assign(new Error(`no ${hostname}`), { code: 'ENOTFOUND' }));
    return Promise.resolve(
      addresses.map((address): ResolvedAddress => ({ address, family: address.includes(':') ? 6 : 4 })),
    );
  };
}

const signal = () => new AbortController().signal;
const get = (url: string): HttpRequestArgs => ({ url, method: 'GET' });

let main: Awaited<ReturnType<typeof startServer>>;
let other: Awaited<ReturnType<typeof startServer>>;

beforeAll(async () => {
  // 127.0.0.2 is a second loopback address: a real, reachable "internal" service that only the
  // address policy keeps the tool away from.
  other = await startServer('127.0.0.2', (_req, res) => res.end('internal secret'));
  main = await startServer('127.0.0.1', (req, res) => {
    const url = new URL(req.url!, 'http://x');
    const to = url.searchParams.get('to');
    const status = Number(url.searchParams.get('status') ?? 302);
    if (url.pathname === '/redirect' && to) {
      res.writeHead(status, { location: to });
      res.end();
    } else if (url.pathname === '/loop') {
      res.writeHead(302, { location: '/loop' });
      res.end();
    } else if (url.pathname === '/gzip') {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
      res.end(gzipSync('compressed hello'));
    } else if (url.pathname === '/hang') {
      // never answers
    } else {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`hello from ${req.headers.host}`);
    }
  });
});
afterAll(async () => {
  await stop(main?.server);
  await stop(other?.server);
});

const local = (options: Partial<HttpToolOptions> = {}) =>
  createHttpRequester({ allowedHosts: ['127.0.0.1'], allowedCidrs: ['127.0.0.1/32'], ...options });

describe('http.request address policy after DNS resolution', () => {
  it('refuses an allow-listed name that resolves to loopback, naming the address and the variable', async () => {
    const requester = createHttpRequester({ allowedHosts: ['localhost'] });
    const before = main.received.length;
    const err = await failureOf(
      requester.request(get(`http://localhost:${main.port}/`), { signal: signal() }),
    );
    expect(err.type).toBe(ERROR_TYPES.HostNotAllowed);
    expect(err.message).toMatch(
      /^host localhost resolves to (127\.0\.0\.1|::1), a loopback address: refused; http\.request connects only to public addresses; an operator can allow the range with HTTP_TOOL_ALLOWED_CIDRS \(e\.g\. HTTP_TOOL_ALLOWED_CIDRS=(127\.0\.0\.1\/32|::1\/128)\)$/,
    );
    expect(err.details).toMatchObject({ host: 'localhost', range: 'loopback' });
    expect(main.received.length).toBe(before);
    // The precheck (what the gate asks before a review) refuses it the same way, sending nothing.
    await expect(
      requester.precheck(get(`http://localhost:${main.port}/`), { signal: signal() }),
    ).rejects.toThrow(err.message);
    expect(main.received.length).toBe(before);
  });

  it('refuses a name mapped to 127.0.0.1 and reaches it once the operator allows the range', async () => {
    const resolver = mappedResolver({ 'api.example.org': ['127.0.0.1'] });
    const refused = await failureOf(
      createHttpRequester({ allowedHosts: ['api.example.org'], resolver }).request(
        get(`http://api.example.org:${main.port}/`),
        { signal: signal() },
      ),
    );
    expect(refused.message).toBe(
      'host api.example.org resolves to 127.0.0.1, a loopback address: refused; http.request connects only to public addresses; an operator can allow the range with HTTP_TOOL_ALLOWED_CIDRS (e.g. HTTP_TOOL_ALLOWED_CIDRS=127.0.0.1/32)',
    );
    const allowed = await createHttpRequester({
      allowedHosts: ['api.example.org'],
      allowedCidrs: ['127.0.0.1/32'],
      resolver,
    }).request(get(`http://api.example.org:${main.port}/`), { signal: signal() });
    expect(allowed).toMatchObject({ status: 200, body: `hello from api.example.org:${main.port}` });
  });

  it.each([
    ['10.0.0.5', 'a private (RFC 1918) address'],
    ['172.20.1.1', 'a private (RFC 1918) address'],
    ['192.168.0.10', 'a private (RFC 1918) address'],
    ['169.254.169.254', 'a cloud metadata address (always refused)'],
    ['fd00:ec2::254', 'a cloud metadata address (always refused)'],
    ['fe80::1', 'a link-local address'],
    ['fd00::1', 'a unique-local (private IPv6) address'],
    ['0.0.0.0', 'an unspecified address'],
    ['100.64.0.1', 'a carrier-grade NAT (100.64.0.0/10) address'],
    ['::ffff:127.0.0.1', 'a loopback address (IPv4-mapped 127.0.0.1)'],
    ['::ffff:10.0.0.1', 'a private (RFC 1918) address (IPv4-mapped 10.0.0.1)'],
  ])('refuses a name resolving to %s', async (address, words) => {
    const asked: string[] = [];
    const err = await failureOf(
      createHttpRequester({
        allowedHosts: ['svc.example.org'],
        resolver: mappedResolver({ 'svc.example.org': [address] }, asked),
      }).request(get('http://svc.example.org/'), { signal: signal() }),
    );
    expect(err.type).toBe(ERROR_TYPES.HostNotAllowed);
    expect(err.message).toContain(`host svc.example.org resolves to ${address}, ${words}: refused`);
    expect(asked).toEqual(['svc.example.org']);
  });

  it('refuses a name when any of its addresses is refused, public ones beside it or not', async () => {
    const err = await failureOf(
      createHttpRequester({
        allowedHosts: ['mixed.example.org'],
        resolver: mappedResolver({ 'mixed.example.org': ['93.184.216.34', '127.0.0.1'] }),
      }).request(get('http://mixed.example.org/'), { signal: signal() }),
    );
    expect(err.message).toContain('resolves to 127.0.0.1, a loopback address');
  });

  it('checks literal addresses in the URL the same way, in every spelling the URL parser accepts', async () => {
    const requester = createHttpRequester({
      allowedHosts: ['127.0.0.1', '[::1]', '[::ffff:7f00:1]', '169.254.169.254'],
      allowedCidrs: ['169.254.0.0/16'],
    });
    const cases: [string, string][] = [
      [`http://127.0.0.1:${main.port}/`, 'address 127.0.0.1, a loopback address'],
      [`http://0x7f.1:${main.port}/`, 'address 127.0.0.1, a loopback address'],
      [`http://2130706433:${main.port}/`, 'address 127.0.0.1, a loopback address'],
      [`http://[::1]:${main.port}/`, 'address ::1, a loopback address'],
      [`http://[::ffff:127.0.0.1]:${main.port}/`, 'address ::ffff:7f00:1, a loopback address'],
      ['http://169.254.169.254/latest/meta-data/', 'address 169.254.169.254, a cloud metadata address'],
    ];
    const before = main.received.length;
    for (const [url, message] of cases) {
      const err = await failureOf(requester.request(get(url), { signal: signal() }));
      expect({ url, type: err.type, message: err.message }).toEqual({
        url,
        type: ERROR_TYPES.HostNotAllowed,
        message: expect.stringContaining(message),
      });
    }
    expect(main.received.length).toBe(before);
  });

  it('pins the checked address for the connection: no second lookup, Host header kept', async () => {
    // A rebinding name: the first answer is the allowed address, every later one a forbidden
    // one. Real DNS does not know the name, so the request only works if the connection uses
    // the answer that was checked instead of resolving again.
    const asked: string[] = [];
    const resolver: HostResolver = (hostname) => {
      asked.push(hostname);
      return Promise.resolve([{ address: asked.length === 1 ? '127.0.0.1' : '127.0.0.2', family: 4 }]);
    };
    const result = await local({ allowedHosts: ['rebind.example.org'], resolver }).request(
      get(`http://rebind.example.org:${main.port}/pinned`),
      { signal: signal() },
    );
    expect(result).toMatchObject({ status: 200, body: `hello from rebind.example.org:${main.port}` });
    expect(asked).toEqual(['rebind.example.org']);
    expect(main.received.at(-1)).toMatchObject({ url: '/pinned', host: `rebind.example.org:${main.port}` });
    expect(other.received).toHaveLength(0);
  });

  it('keeps the TLS server name and verifies the certificate against the name, not the address', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'somagent-tls-'));
    let tls: TlsServer | undefined;
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=secure.example.org',
          '-addext',
          'subjectAltName=DNS:secure.example.org',
          '-keyout',
          path.join(dir, 'key.pem'),
          '-out',
          path.join(dir, 'cert.pem'),
        ],
        { stdio: 'ignore' },
      );
      const context = createSecureContext({
        key: await readFile(path.join(dir, 'key.pem')),
        cert: await readFile(path.join(dir, 'cert.pem')),
      });
      const serverNames: string[] = [];
      tls = createTlsServer(
        {
          SNICallback: (name, cb) => {
            serverNames.push(name);
            cb(null, context);
          },
        },
        (_req, res) => res.end('tls'),
      );
      await new Promise<void>((r) => tls!.listen(0, '127.0.0.1', r));
      const port = (tls.address() as AddressInfo).port;
      const err = await failureOf(
        local({
          allowedHosts: ['secure.example.org'],
          resolver: mappedResolver({ 'secure.example.org': ['127.0.0.1'] }),
        }).request(get(`https://secure.example.org:${port}/`), { signal: signal() }),
      );
      // Connected to the pinned address, offered the URL's name, refused the untrusted certificate.
      expect(serverNames).toEqual(['secure.example.org']);
      expect(err.type).toBe(ERROR_TYPES.ToolUnavailable);
      expect(err.message).toMatch(/^request to secure\.example\.org failed: .*self[- ]signed certificate/);
    } finally {
      await stop(tls);
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('http.request redirects', () => {
  it('follows a redirect on an allowed host and reports where it ended', async () => {
    const result = await local().request(
      get(`${main.origin}/redirect?to=${encodeURIComponent('/final?x=1')}`),
      { signal: signal() },
    );
    expect(result).toMatchObject({ status: 200, url: `${main.origin}/final?x=1`, redirects: 1 });
  });

  it('refuses a redirect to a private address, before connecting to it', async () => {
    const requester = local({ allowedHosts: ['127.0.0.1', '127.0.0.2'] });
    const err = await failureOf(
      requester.request(get(`${main.origin}/redirect?to=${encodeURIComponent(`${other.origin}/admin`)}`), {
        signal: signal(),
      }),
    );
    expect(err.type).toBe(ERROR_TYPES.HostNotAllowed);
    expect(err.message).toBe(
      'address 127.0.0.2, a loopback address: refused; http.request connects only to public addresses; an operator can allow the range with HTTP_TOOL_ALLOWED_CIDRS (e.g. HTTP_TOOL_ALLOWED_CIDRS=127.0.0.2/32)',
    );
    expect(other.received).toHaveLength(0);

    // A redirect to an allow-listed name that resolves to a private address, and to metadata.
    const named = await failureOf(
      local({
        allowedHosts: ['127.0.0.1', 'internal.example.org', '169.254.169.254'],
        resolver: mappedResolver({ 'internal.example.org': ['10.1.2.3'] }),
      }).request(get(`${main.origin}/redirect?to=${encodeURIComponent('http://internal.example.org/')}`), {
        signal: signal(),
      }),
    );
    expect(named.message).toContain(
      'host internal.example.org resolves to 10.1.2.3, a private (RFC 1918) address',
    );
    const metadata = await failureOf(
      local({ allowedHosts: ['127.0.0.1', '169.254.169.254'] }).request(
        get(`${main.origin}/redirect?to=${encodeURIComponent('http://169.254.169.254/latest/meta-data/')}`),
        { signal: signal() },
      ),
    );
    expect(metadata.message).toContain('169.254.169.254, a cloud metadata address');
  });

  it('refuses a redirect to a host off the allowlist or to another scheme', async () => {
    const off = await failureOf(
      local().request(get(`${main.origin}/redirect?to=${encodeURIComponent('http://evil.example/')}`), {
        signal: signal(),
      }),
    );
    expect(off).toMatchObject({
      type: ERROR_TYPES.HostNotAllowed,
      message: 'redirect from 127.0.0.1 to host evil.example is not on the allowlist',
    });
    const file = await failureOf(
      local().request(get(`${main.origin}/redirect?to=${encodeURIComponent('file:///etc/passwd')}`), {
        signal: signal(),
      }),
    );
    expect(file).toMatchObject({
      type: ERROR_TYPES.ToolFailed,
      message: '127.0.0.1 redirected to a file: URL; only plain http(s) is followed',
    });
  });

  it('stops after the hop limit', async () => {
    const before = main.received.length;
    const err = await failureOf(
      local({ maxRedirects: 2 }).request(get(`${main.origin}/loop`), { signal: signal() }),
    );
    expect(err).toMatchObject({
      type: ERROR_TYPES.ToolFailed,
      message: 'stopped after 2 redirects (the next one went to 127.0.0.1)',
    });
    expect(main.received.length - before).toBe(3);
  });

  it('turns a POST into a GET on 303 (dropping body and Idempotency-Key) and keeps it on 307', async () => {
    const post = (status: number): HttpRequestArgs => ({
      url: `${main.origin}/redirect?status=${status}&to=${encodeURIComponent('/landing')}`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"order":1}',
    });
    await local().request(post(303), { signal: signal(), idempotencyKey: 'key-303' });
    const seeOther = main.received.at(-1)!;
    expect(seeOther).toMatchObject({ method: 'GET', url: '/landing', body: '' });
    expect(seeOther.headers['idempotency-key']).toBeUndefined();
    expect(seeOther.headers['content-type']).toBeUndefined();
    await local().request(post(307), { signal: signal(), idempotencyKey: 'key-307' });
    const temporary = main.received.at(-1)!;
    expect(temporary).toMatchObject({ method: 'POST', url: '/landing', body: '{"order":1}' });
    expect(temporary.headers['idempotency-key']).toBe(main.received.at(-2)!.headers['idempotency-key']);
  });
});

describe('http.request requests', () => {
  it('refuses a model-set Host (it would pick another virtual host behind the address)', async () => {
    const err = await failureOf(
      local().request(
        { ...get(`${main.origin}/`), headers: { Host: 'admin.internal' } },
        { signal: signal() },
      ),
    );
    expect(err).toMatchObject({
      type: ERROR_TYPES.ToolArgumentsInvalid,
      message: 'arguments.headers.Host: set by the tool from the URL and body; remove it',
    });
  });

  it('decodes a compressed body', async () => {
    expect(await local().request(get(`${main.origin}/gzip`), { signal: signal() })).toMatchObject({
      status: 200,
      body: 'compressed hello',
      bytes: 'compressed hello'.length,
    });
  });

  it('times out retryably and names the host', async () => {
    const err = await failureOf(
      local({ timeoutMs: 200 }).request(get(`${main.origin}/hang`), { signal: signal() }),
    );
    expect(err).toMatchObject({
      type: ERROR_TYPES.ToolUnavailable,
      message: 'request to 127.0.0.1 timed out after 200 ms',
    });
  });

  it('a name that does not resolve is a non-retryable failure naming the host', async () => {
    const err = await failureOf(
      createHttpRequester({ allowedHosts: ['gone.example.org'], resolver: mappedResolver({}) }).request(
        get('http://gone.example.org/'),
        { signal: signal() },
      ),
    );
    expect(err).toMatchObject({
      type: ERROR_TYPES.ToolFailed,
      message: 'host gone.example.org could not be resolved (ENOTFOUND)',
    });
  });
});
