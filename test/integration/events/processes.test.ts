import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { appendToOutbox, createEvent } from '../../../services/events';
import type { KafkaMockPeer } from '../../../services/kafka';
import { withTransaction } from '../../../services/postgres';
import { createKafkaTestDatabase } from '../../support/kafka-database';
import { startKafkaMockPeer, startTcpProxy, type TcpProxy, waitFor } from '../../support/kafka';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '../../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

interface Started {
  child: ChildProcessByStdio<null, Readable, Readable>;
  logs: Record<string, unknown>[];
  exited: Promise<number | null>;
}

let peer: KafkaMockPeer;
let proxy: TcpProxy;
let db: Awaited<ReturnType<typeof createKafkaTestDatabase>>;
const started: Started[] = [];

beforeAll(async () => {
  peer = await startKafkaMockPeer();
  const [host, port] = peer.brokers[0]!.split(':');
  proxy = await startTcpProxy({ host: host!, port: Number(port) });
  db = await createKafkaTestDatabase('processes');
});

afterAll(async () => {
  for (const { child, exited } of started) {
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
  }
  await proxy?.close();
  await peer?.stop();
  await db?.drop();
});

/** Runs an entry point as operators do, with config only from the environment. */
function run(entry: string, env: Record<string, string>): Started {
  const child = spawn(TSX, [entry], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, DATABASE_URL: db.url, METRICS_PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let buffered = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) if (line.startsWith('{')) logs.push(JSON.parse(line));
  });
  child.stderr.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const process_ = { child, logs, exited };
  started.push(process_);
  return process_;
}

it('relay and consumer processes start while Kafka is down, then deliver, serve metrics and stop cleanly', async () => {
  proxy.cut();
  const relay = run('services/relay/main.ts', {
    KAFKA_BROKERS: `127.0.0.1:${proxy.port}`,
    RELAY_POLL_INTERVAL_MS: '50',
  });
  const consumers = run('services/consumers/main.ts', {
    KAFKA_BROKERS: peer.brokers.join(','),
    KAFKA_SESSION_TIMEOUT_MS: '10000',
  });

  const subject = `run-${randomUUID()}`;
  const session = `training-${randomUUID()}`;
  const [decision, training] = await withTransaction(db.pool, async (c) => [
    await appendToOutbox(c, {
      type: 'gate.decision',
      source: 'test/processes',
      tenant: 'acme',
      subject,
      data: { decision: 'deny', score: 0.1 },
    }),
    await appendToOutbox(
      c,
      createEvent({
        type: 'training.session.opened',
        source: 'test/processes',
        tenant: 'acme',
        subject: session,
        data: {},
      }),
    ),
  ]);

  await waitFor(
    () => relay.logs.some((l) => String(l.msg).startsWith('could not connect the relay producer')),
    30_000,
    'the relay to report that Kafka is unreachable',
  );
  proxy.restore();

  await waitFor(
    async () =>
      (await db.pool.query('SELECT 1 FROM audit_events WHERE id = $1', [decision.id])).rowCount === 1,
    60_000,
    'the decision in the audit store',
  );
  await waitFor(
    async () =>
      (await db.pool.query('SELECT 1 FROM training_events WHERE id = $1', [training.id])).rowCount === 1,
    30_000,
    'the training event',
  );

  const metricsPort = (logs: Record<string, unknown>[]) =>
    logs.find((l) => l.msg === 'serving metrics')!.metricsPort as number;
  const relayMetrics = await (await fetch(`http://127.0.0.1:${metricsPort(relay.logs)}/metrics`)).text();
  expect(relayMetrics).toMatch(/^somagent_relay_published_total\{topic="somagent\.audit\.v1"\} 1$/m);
  expect(relayMetrics).toMatch(/^somagent_relay_unpublished_events 0$/m);
  const consumerMetrics = await (
    await fetch(`http://127.0.0.1:${metricsPort(consumers.logs)}/metrics`)
  ).text();
  expect(consumerMetrics).toMatch(
    /^somagent_consumer_events_total\{group="somagent\.audit-store",outcome="handled"\} 1$/m,
  );

  relay.child.kill('SIGTERM');
  consumers.child.kill('SIGTERM');
  expect(await relay.exited).toBe(0);
  expect(await consumers.exited).toBe(0);
});
