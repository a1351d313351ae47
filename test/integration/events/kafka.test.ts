import { randomUUID } from 'node:crypto';
import {
  createConsumer,
  createKafka,
  createProducer,
  ensureTopics,
  KafkaMockPeerError,
  startKafkaMockPeer,
  startMetricsServer,
} from '../../../services/kafka';
import { Registry, Counter } from 'prom-client';
import { Writable } from 'node:stream';
import pino from 'pino';
import { testLogger } from '../../support/kafka';

jest.setTimeout(60_000);

it('runs a mock Kafka peer that kafkajs produces to and that stops on request', async () => {
  const peer = await startKafkaMockPeer();
  try {
    expect(peer.brokers).toEqual([expect.stringMatching(/^127\.0\.0\.1:\d+$/)]);
    const kafka = createKafka({ brokers: peer.brokers, clientId: 'kafka-test', logger: testLogger() });
    // The mock cluster has no controller, so the admin API fails and auto-creation is the fallback.
    expect(await ensureTopics(kafka, testLogger(), { topics: ['somagent.probe.v1'], timeout: 2_000 })).toBe(
      false,
    );
    const producer = createProducer(kafka);
    await producer.connect();
    const [meta] = await producer.send({
      topic: `probe-${randomUUID()}`,
      acks: -1,
      messages: [{ key: 'k', value: 'v' }],
    });
    await producer.disconnect();
    expect(meta).toMatchObject({ errorCode: 0, baseOffset: '0' });
  } finally {
    await peer.stop();
  }
  expect(() => process.kill(peer.pid, 0)).toThrow();
});

it('explains how to install kcat when it is missing', async () => {
  const error = await startKafkaMockPeer({ kcatPath: `/nonexistent/kcat-${randomUUID()}` }).catch(
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KafkaMockPeerError);
  expect((error as Error).message).toMatch(/apt-get install -y kcat/);
});

it('bridges kafkajs logs into pino with their namespace', async () => {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  const logger = pino({ level: 'warn' }, sink);
  const kafka = createKafka({
    brokers: ['127.0.0.1:1'],
    clientId: 'log-test',
    logger,
    connectionTimeout: 200,
    retry: { retries: 0 },
  });
  const producer = createProducer(kafka);
  await expect(producer.connect()).rejects.toThrow();
  expect(lines.length).toBeGreaterThan(0);
  expect(lines[0]).toMatchObject({ level: 50, component: 'kafka', kafkajs: expect.any(String) });
  expect(lines.every((l) => (l.level as number) >= 40)).toBe(true);
});

it('refuses a consumer session timeout the mock cluster cannot keep', () => {
  const kafka = createKafka({ brokers: ['127.0.0.1:1'], clientId: 'x', logger: testLogger() });
  expect(() => createConsumer(kafka, { groupId: 'g', sessionTimeout: 3_000 })).toThrow(/at least 6000/);
});

it('serves metrics in the Prometheus format', async () => {
  const registry = new Registry();
  new Counter({ name: 'somagent_probe_total', help: 'probe', registers: [registry] }).inc(3);
  const server = await startMetricsServer(registry, { port: 0, host: '127.0.0.1' });
  try {
    const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^somagent_probe_total 3$/m);
    expect((await fetch(`http://127.0.0.1:${server.port}/other`)).status).toBe(404);
  } finally {
    await server.close();
  }
});
