import net from 'node:net';
import type { ISocketFactory } from 'kafkajs';
import { startKafkaMockPeer, type KafkaMockPeer } from '../../services/kafka';
import { createLogger } from '../../services/logger';

export { startKafkaMockPeer, type KafkaMockPeer };

/** A quiet logger for tests; set TEST_LOG_LEVEL=debug to see Kafka and relay logs. */
export function testLogger() {
  return createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent', name: 'test' });
}

export interface TcpProxy {
  port: number;
  /** Drops every open connection and refuses new ones until restored: Kafka "goes down". */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

/**
 * A TCP proxy in front of the Kafka peer, so a test can take Kafka away and bring it back with its
 * data intact (a restarted mock cluster would lose its data and port).
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let down = false;
  const server = net.createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    const upstream = net.connect(target);
    sockets.add(client).add(upstream);
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut() {
      down = true;
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
    restore() {
      down = false;
    },
    async close() {
      down = true;
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A kafkajs socket factory that sends connections for `broker` through `proxyPort`. Needed because
 * a client connects to the address the broker advertises in metadata, not the bootstrap one.
 */
export function proxiedSocketFactory(broker: string, proxyPort: number): ISocketFactory {
  return ({ host, port, onConnect }) => {
    const viaProxy = `${host}:${port}` === broker;
    const socket = net.connect(
      { host: viaProxy ? '127.0.0.1' : host, port: viaProxy ? proxyPort : port },
      onConnect,
    );
    socket.setKeepAlive(true, 60_000);
    return socket;
  };
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  timeoutMs = 30_000,
  what = 'condition',
) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
