import { randomUUID } from 'node:crypto';
import { createAuditConsumer } from '../services/consumers';
import { appendToOutbox } from '../services/events';
import { createKafka, createProducer, startKafkaMockPeer } from '../services/kafka';
import { createLogger } from '../services/logger';
import { withTransaction } from '../services/postgres';
import { createRelay } from '../services/relay';
import { createKafkaTestDatabase } from '../test/support/kafka-database';
import { percentile, report } from './format';

const BACKLOG = 5_000;
const STEADY = 1_000;
const STEADY_RATE = 200; // events/s
const KEYS = 50;
/** Consumer fetch wait: librdkafka's mock cluster holds each fetch this long even when data is there. */
const FETCH_WAIT_MS = 100;

/**
 * Relay throughput (drain a backlog of BACKLOG outbox rows) and outbox-to-consumer lag (append
 * STEADY events at STEADY_RATE/s with relay and audit consumer running; lag = audit row
 * recorded_at − outbox created_at, both Postgres clocks). Against librdkafka's mock cluster and
 * a private Postgres database. The relay polls every 20 ms.
 */
export default async function relayBench(): Promise<void> {
  const logger = createLogger({ level: 'silent' });
  const peer = await startKafkaMockPeer();
  const db = await createKafkaTestDatabase('bench_relay');
  const kafka = createKafka({ brokers: peer.brokers, clientId: 'bench-relay', logger });
  const producer = createProducer(kafka);
  await producer.connect();
  const relay = createRelay({ pool: db.pool, producer, logger, batchSize: 200, pollIntervalMs: 20 });
  const consumer = createAuditConsumer({
    kafka,
    pool: db.pool,
    logger,
    sessionTimeout: 10_000,
    maxWaitTimeInMs: FETCH_WAIT_MS,
  });
  const keys = Array.from({ length: KEYS }, () => `run-${randomUUID()}`);
  const event = (i: number) => ({
    type: 'gate.decision',
    source: 'bench/relay',
    tenant: 'bench',
    subject: keys[i % KEYS]!,
    data: { decision: 'allow', score: 0.9, i },
  });
  try {
    // Backlog: rows written in transactions of 100 before the relay starts.
    for (let i = 0; i < BACKLOG; i += 100) {
      await withTransaction(db.pool, async (c) => {
        for (let j = i; j < i + 100; j += 1) await appendToOutbox(c, event(j));
      });
    }
    const started = performance.now();
    relay.start();
    await waitUntil(async () => (await count(db.pool, 'outbox WHERE published_at IS NULL')) === 0);
    const drainSeconds = (performance.now() - started) / 1000;
    report('relay throughput (drain 5000-event backlog)', BACKLOG / drainSeconds, 'events/s', '≥ 2000');

    await consumer.start();
    await waitUntil(async () => (await count(db.pool, 'audit_events')) === BACKLOG, 120_000);
    const steadyFrom = new Date();
    const interval = 1000 / STEADY_RATE;
    const t0 = performance.now();
    for (let i = 0; i < STEADY; i += 1) {
      const due = t0 + i * interval;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      await withTransaction(db.pool, (c) => appendToOutbox(c, event(BACKLOG + i)));
    }
    await waitUntil(async () => (await count(db.pool, 'audit_events')) === BACKLOG + STEADY, 60_000);
    const { rows } = await db.pool.query<{ lag_ms: number; relay_ms: number }>(
      `SELECT extract(epoch FROM a.recorded_at - o.created_at)::float8 * 1000 AS lag_ms,
              extract(epoch FROM o.published_at - o.created_at)::float8 * 1000 AS relay_ms
         FROM audit_events a JOIN outbox o ON o.id = a.id
        WHERE o.created_at >= $1`,
      [steadyFrom],
    );
    const lags = rows.map((r) => r.lag_ms).sort((a, b) => a - b);
    const relayLags = rows.map((r) => r.relay_ms).sort((a, b) => a - b);
    report('outbox→Kafka ack (published_at) p50', percentile(relayLags, 50), 'ms');
    report('outbox→Kafka ack (published_at) p99', percentile(relayLags, 99), 'ms');
    report(
      `outbox→consumer lag p50 (${STEADY_RATE}/s, fetch wait ${FETCH_WAIT_MS} ms)`,
      percentile(lags, 50),
      'ms',
    );
    report(
      `outbox→consumer lag p99 (${STEADY_RATE}/s, fetch wait ${FETCH_WAIT_MS} ms)`,
      percentile(lags, 99),
      'ms',
      '≤ 1000 ms',
    );
    report('outbox→consumer lag max', lags[lags.length - 1] ?? Number.NaN, 'ms');
  } finally {
    await relay.stop();
    await consumer.stop();
    await producer.disconnect();
    await peer.stop();
    await db.drop();
  }
}

async function count(pool: { query: (sql: string) => Promise<{ rows: { n: string }[] }> }, from: string) {
  const { rows } = await pool.query(`SELECT count(*) AS n FROM ${from}`);
  return Number(rows[0]!.n);
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`bench condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
