import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import { appendToOutbox, type NewEvent, TOPICS } from '../../../services/events';
import { createAuditConsumer, type EventConsumer } from '../../../services/consumers';
import { createKafka, createProducer, type KafkaMockPeer } from '../../../services/kafka';
import { withTransaction } from '../../../services/postgres';
import { claimBatch, createRelay, type Relay } from '../../../services/relay';
import { createKafkaTestDatabase } from '../../support/kafka-database';
import {
  proxiedSocketFactory,
  startKafkaMockPeer,
  startTcpProxy,
  type TcpProxy,
  testLogger,
  waitFor,
} from '../../support/kafka';

jest.setTimeout(90_000);

/** One message as it sits in Kafka. */
interface Seen {
  id: string;
  key: string;
  partition: number;
  offset: bigint;
}

const logger = testLogger();
let peer: KafkaMockPeer;
let proxy: TcpProxy;
let db: Awaited<ReturnType<typeof createKafkaTestDatabase>>;
/** Kafka as the relay and the audit consumer see it: through the proxy, so a test can take it away. */
let relayKafka: Kafka;
let directKafka: Kafka;
let audit: EventConsumer;
let spy: Consumer;
const seen: Seen[] = [];
const producers: Producer[] = [];
const relays: Relay[] = [];

beforeAll(async () => {
  peer = await startKafkaMockPeer();
  const [host, port] = peer.brokers[0]!.split(':');
  proxy = await startTcpProxy({ host: host!, port: Number(port) });
  db = await createKafkaTestDatabase('relay');
  relayKafka = createKafka({
    brokers: peer.brokers,
    clientId: 'relay-test',
    logger,
    retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 500 },
    connectionTimeout: 1_000,
    requestTimeout: 5_000,
    socketFactory: proxiedSocketFactory(peer.brokers[0]!, proxy.port),
  });
  directKafka = createKafka({ brokers: peer.brokers, clientId: 'relay-test-consumers', logger });

  // A raw consumer that records every message as Kafka holds it, duplicates included.
  spy = directKafka.consumer({
    groupId: `spy-${randomUUID()}`,
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
  });
  const spyJoined = new Promise((resolve) => spy.on(spy.events.GROUP_JOIN, resolve));
  await spy.connect();
  await spy.subscribe({ topics: [TOPICS.audit], fromBeginning: true });
  await spy.run({
    eachMessage: ({ partition, message }) => {
      const envelope = JSON.parse(message.value!.toString()) as { id: string };
      seen.push({ id: envelope.id, key: message.key!.toString(), partition, offset: BigInt(message.offset) });
      return Promise.resolve();
    },
  });
  // The audit consumer goes through the proxy too: when Kafka goes away, both ends lose it.
  audit = createAuditConsumer({ kafka: relayKafka, pool: db.pool, logger, sessionTimeout: 10_000 });
  await Promise.all([audit.start(), spyJoined]);
});

afterAll(async () => {
  for (const relay of relays) await relay.stop();
  for (const producer of producers) await producer.disconnect();
  await audit?.stop();
  await spy?.disconnect();
  await proxy?.close();
  await peer?.stop();
  await db?.drop();
});

async function startRelay(options: { batchSize?: number } = {}, start = true): Promise<Relay> {
  const producer = createProducer(relayKafka);
  await producer.connect();
  producers.push(producer);
  const relay = createRelay({
    pool: db.pool,
    producer,
    logger,
    pollIntervalMs: 50,
    initialBackoffMs: 100,
    maxBackoffMs: 1_000,
    ackTimeoutMs: 5_000,
    ...options,
  });
  relays.push(relay);
  if (start) relay.start();
  return relay;
}

async function stopRelays() {
  while (relays.length) await relays.pop()!.stop();
}

function gateDecision(subject: string, n: number): NewEvent {
  return {
    type: 'gate.decision',
    source: 'test/relay',
    tenant: 'acme',
    subject,
    data: { decision: n % 3 === 0 ? 'deny' : 'allow', score: n / 100, n },
  };
}

/** Appends `count` events spread round-robin over `keys`, each in its own committed transaction. */
async function appendInterleaved(keys: string[], count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const subject = keys[i % keys.length]!;
    const event = await withTransaction(db.pool, (c) => appendToOutbox(c, gateDecision(subject, i)));
    ids.push(event.id);
  }
  return ids;
}

async function pendingCount(): Promise<number> {
  const { rows } = await db.pool.query<{ n: string }>(
    'SELECT count(*) AS n FROM outbox WHERE published_at IS NULL AND rejected_at IS NULL',
  );
  return Number(rows[0]!.n);
}

async function storedIds(ids: string[]): Promise<Set<string>> {
  const { rows } = await db.pool.query<{ id: string }>('SELECT id FROM audit_events WHERE id = ANY($1)', [
    ids,
  ]);
  return new Set(rows.map((r) => r.id));
}

/** Outbox order of the given keys' events: key → ids by seq. */
async function outboxOrder(keys: string[]): Promise<Map<string, string[]>> {
  const { rows } = await db.pool.query<{ key: string; id: string }>(
    'SELECT key, id FROM outbox WHERE key = ANY($1) ORDER BY seq',
    [keys],
  );
  const order = new Map<string, string[]>();
  for (const row of rows) order.set(row.key, [...(order.get(row.key) ?? []), row.id]);
  return order;
}

/**
 * Kafka order of the given keys' events, first occurrence of each id only (what a deduping
 * consumer processes): key → ids by partition offset.
 */
function kafkaOrder(keys: string[]): Map<string, string[]> {
  const order = new Map<string, string[]>();
  const sorted = seen
    .filter((s) => keys.includes(s.key))
    .sort((a, b) => a.partition - b.partition || (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0));
  const first = new Set<string>();
  for (const s of sorted) {
    if (first.has(s.id)) continue;
    first.add(s.id);
    order.set(s.key, [...(order.get(s.key) ?? []), s.id]);
  }
  return order;
}

it('delivers events of committed transactions and never those of rolled-back ones', async () => {
  const committed = `run-${randomUUID()}`;
  const rolledBack = `run-${randomUUID()}`;
  const kept = await withTransaction(db.pool, async (c) => [
    await appendToOutbox(c, gateDecision(committed, 0)),
    await appendToOutbox(c, gateDecision(committed, 1)),
  ]);
  await expect(
    withTransaction(db.pool, async (c) => {
      await appendToOutbox(c, gateDecision(rolledBack, 2));
      throw new Error('business change failed');
    }),
  ).rejects.toThrow('business change failed');

  const relay = await startRelay();
  const ids = kept.map((e) => e.id);
  await waitFor(async () => (await storedIds(ids)).size === 2, 30_000, 'committed events in the audit store');
  await waitFor(async () => (await pendingCount()) === 0, 10_000, 'an empty outbox');
  await waitFor(() => seen.filter((s) => s.key === committed).length === 2, 15_000, 'the events in Kafka');
  await stopRelays();

  const { rows } = await db.pool.query(
    'SELECT subject, decision, data FROM audit_events WHERE subject = ANY($1) ORDER BY time',
    [[committed, rolledBack]],
  );
  expect(rows.map((r) => r.subject)).toEqual([committed, committed]);
  expect(rows[0]).toMatchObject({ decision: 'deny', data: { n: 0 } });
  expect(seen.filter((s) => s.key === rolledBack)).toEqual([]);
  expect(
    seen
      .filter((s) => s.key === committed)
      .map((s) => s.id)
      .sort(),
  ).toEqual([...ids].sort());

  const metrics = await relay.registry.getMetricsAsJSON();
  const published = metrics.find((m) => m.name === 'somagent_relay_published_total')!;
  expect(published.values).toEqual([expect.objectContaining({ labels: { topic: TOPICS.audit }, value: 2 })]);
  const pending = metrics.find((m) => m.name === 'somagent_relay_unpublished_events')!;
  expect(pending.values[0]!.value).toBe(0);
});

it('with two relays at once delivers each event exactly once, in per-key order', async () => {
  // More keys than a batch holds, so both relays find work, and many rounds over every key.
  const keys = Array.from({ length: 16 }, () => `run-${randomUUID()}`);
  const ids = await appendInterleaved(keys, 192);
  const [a, b] = [await startRelay({ batchSize: 5 }, false), await startRelay({ batchSize: 5 }, false)];
  a.start();
  b.start();
  await waitFor(async () => (await pendingCount()) === 0, 30_000, 'both relays to drain the outbox');
  await waitFor(
    () => seen.filter((s) => keys.includes(s.key)).length >= ids.length,
    15_000,
    'all events in Kafka',
  );
  await stopRelays();

  const inKafka = seen.filter((s) => keys.includes(s.key));
  expect(inKafka).toHaveLength(ids.length);
  expect(new Set(inKafka.map((s) => s.id)).size).toBe(ids.length);
  expect(kafkaOrder(keys)).toEqual(await outboxOrder(keys));

  const publishedBy = async (relay: Relay) =>
    (await relay.registry.getMetricsAsJSON()).find((m) => m.name === 'somagent_relay_published_total')!
      .values[0]?.value ?? 0;
  const [byA, byB] = [await publishedBy(a), await publishedBy(b)];
  expect(byA + byB).toBe(ids.length);
  expect(byA).toBeGreaterThan(0);
  expect(byB).toBeGreaterThan(0);
  await waitFor(
    async () => (await storedIds(ids)).size === ids.length,
    30_000,
    'every event in the audit store',
  );
});

it('keeps events while Kafka is down and delivers them all, once, in order, when it is back', async () => {
  const keys = Array.from({ length: 4 }, () => `run-${randomUUID()}`);
  const relay = await startRelay({ batchSize: 10 });
  const before = await appendInterleaved(keys, 20);
  await waitFor(async () => (await pendingCount()) === 0, 15_000, 'the first events to be published');

  proxy.cut();
  const during = await appendInterleaved(keys, 40);
  await waitFor(
    async () => {
      const { rows } = await db.pool.query<{ n: string }>(
        'SELECT count(*) AS n FROM outbox WHERE id = ANY($1) AND attempts >= 2 AND last_error IS NOT NULL',
        [during],
      );
      return Number(rows[0]!.n) > 0;
    },
    20_000,
    'failed attempts to be recorded on the rows',
  );
  const metrics = await relay.registry.getMetricsAsJSON();
  expect(
    metrics.find((m) => m.name === 'somagent_relay_publish_errors_total')!.values[0]!.value,
  ).toBeGreaterThan(0);
  expect(metrics.find((m) => m.name === 'somagent_relay_unpublished_events')!.values[0]!.value).toBe(40);
  expect(
    metrics.find((m) => m.name === 'somagent_relay_oldest_unpublished_age_seconds')!.values[0]!.value,
  ).toBeGreaterThan(0);
  const { rows: published } = await db.pool.query(
    'SELECT 1 FROM outbox WHERE id = ANY($1) AND published_at IS NOT NULL',
    [during],
  );
  expect(published).toHaveLength(0);

  proxy.restore();
  const after = await appendInterleaved(keys, 20);
  const all = [...before, ...during, ...after];
  await waitFor(async () => (await pendingCount()) === 0, 45_000, 'the relay to catch up');
  await waitFor(
    async () => (await storedIds(all)).size === all.length,
    30_000,
    'every event in the audit store',
  );
  await waitFor(
    () => new Set(seen.filter((s) => keys.includes(s.key)).map((s) => s.id)).size === all.length,
    15_000,
    'every event in Kafka',
  );
  await stopRelays();

  // Kafka may hold a batch twice (sent, but the ack was lost in the cut); the store holds it once.
  expect(new Set(seen.filter((s) => keys.includes(s.key)).map((s) => s.id))).toEqual(new Set(all));
  const { rows: processed } = await db.pool.query<{ n: string }>(
    'SELECT count(*) AS n FROM consumer_processed_events WHERE event_id = ANY($1)',
    [all],
  );
  expect(Number(processed[0]!.n)).toBe(all.length);
  expect(kafkaOrder(keys)).toEqual(await outboxOrder(keys));
});

it('rejects an outbox row with an invalid envelope and still publishes the rest of its key', async () => {
  const subject = `run-${randomUUID()}`;
  const badId = randomUUID();
  const good = await withTransaction(db.pool, async (c) => {
    // Written around appendToOutbox, as a buggy or foreign writer might.
    await c.query('INSERT INTO outbox (id, topic, key, envelope) VALUES ($1, $2, $3, $4)', [
      badId,
      TOPICS.audit,
      subject,
      JSON.stringify({ ...gateDecision(subject, 1), id: badId, schemaVersion: 1, time: 'yesterday' }),
    ]);
    return appendToOutbox(c, gateDecision(subject, 2));
  });
  const relay = await startRelay();
  await waitFor(
    async () => (await storedIds([good.id])).size === 1,
    30_000,
    'the valid event after the bad one',
  );
  await stopRelays();

  const { rows } = await db.pool.query(
    'SELECT id, published_at, rejected_at, last_error FROM outbox WHERE key = $1 ORDER BY seq',
    [subject],
  );
  expect(rows[0]).toMatchObject({ id: badId, published_at: null, rejected_at: expect.any(Date) });
  expect(rows[0].last_error).toMatch(/time: expected an ISO-8601 timestamp/);
  expect(rows[1]).toMatchObject({ id: good.id, published_at: expect.any(Date), rejected_at: null });
  expect(seen.filter((s) => s.key === subject).map((s) => s.id)).not.toContain(badId);
  const rejected = (await relay.registry.getMetricsAsJSON()).find(
    (m) => m.name === 'somagent_relay_rejected_total',
  )!;
  expect(rejected.values).toEqual([expect.objectContaining({ labels: { topic: TOPICS.audit }, value: 1 })]);
});

it('republishes a batch whose commit was lost after Kafka acked it, and the consumer stores it once', async () => {
  const subject = `run-${randomUUID()}`;
  const events = await withTransaction(db.pool, async (c) => [
    await appendToOutbox(c, gateDecision(subject, 1)),
    await appendToOutbox(c, gateDecision(subject, 2)),
  ]);
  const ids = events.map((e) => e.id);
  const duplicatesBefore = audit.stats.duplicates;

  // A relay that dies between Kafka's ack and its COMMIT: the rows are in Kafka, still pending.
  const producer = createProducer(relayKafka);
  await producer.connect();
  producers.push(producer);
  const client = await db.pool.connect();
  try {
    await client.query('BEGIN');
    const rows = await claimBatch(client, 10);
    expect(rows.map((r) => r.id)).toEqual(ids);
    await producer.send({
      topic: TOPICS.audit,
      acks: -1,
      messages: rows.map((r) => ({ key: r.key, value: JSON.stringify(r.envelope) })),
    });
    await client.query('ROLLBACK');
  } finally {
    client.release();
  }
  expect(await pendingCount()).toBe(2);

  await startRelay();
  await waitFor(async () => (await pendingCount()) === 0, 15_000, 'the relay to republish');
  await waitFor(() => seen.filter((s) => s.key === subject).length === 4, 15_000, 'both copies in Kafka');
  await waitFor(
    () => audit.stats.duplicates - duplicatesBefore === 2,
    30_000,
    'the consumer to skip the copies',
  );
  await stopRelays();

  expect(await storedIds(ids)).toEqual(new Set(ids));
  expect(kafkaOrder([subject])).toEqual(await outboxOrder([subject]));
});
