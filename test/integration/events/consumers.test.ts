import { randomUUID } from 'node:crypto';
import type { Kafka, Producer } from 'kafkajs';
import {
  AUDIT_CONSUMER_GROUP,
  createAuditConsumer,
  createConstitutionConsumer,
  createConstitutionNotifier,
  createTrainingConsumer,
  type EventConsumer,
} from '../../../services/consumers';
import { createEvent, type EventEnvelope, TOPICS } from '../../../services/events';
import { createKafka, createProducer, type KafkaMockPeer } from '../../../services/kafka';
import { createKafkaTestDatabase } from '../../support/kafka-database';
import { startKafkaMockPeer, testLogger, waitFor } from '../../support/kafka';

jest.setTimeout(90_000);

const logger = testLogger();
let peer: KafkaMockPeer;
let db: Awaited<ReturnType<typeof createKafkaTestDatabase>>;
let kafka: Kafka;
let producer: Producer;
let audit: EventConsumer;
let training: EventConsumer;
let constitution: EventConsumer;
const notifier = createConstitutionNotifier(logger);
const consumers: EventConsumer[] = [];

beforeAll(async () => {
  peer = await startKafkaMockPeer();
  db = await createKafkaTestDatabase('consumers');
  kafka = createKafka({ brokers: peer.brokers, clientId: 'consumers-test', logger });
  producer = createProducer(kafka);
  await producer.connect();
  const options = { kafka, pool: db.pool, logger, sessionTimeout: 10_000 };
  audit = createAuditConsumer(options);
  training = createTrainingConsumer(options);
  // A new group starts at the latest offset; this one replays so it cannot miss the test's event.
  constitution = createConstitutionConsumer({ ...options, notifier, fromBeginning: true });
  consumers.push(audit, training, constitution);
  await Promise.all(consumers.map((c) => c.start()));
});

afterAll(async () => {
  for (const consumer of consumers) await consumer.stop();
  await producer?.disconnect();
  await peer?.stop();
  await db?.drop();
});

/** Publishes raw values on a topic, as any producer (not only our relay) could. */
async function publish(topic: string, key: string, values: (string | Buffer)[]) {
  await producer.send({ topic, acks: -1, messages: values.map((value) => ({ key, value })) });
}

function auditEvent(subject: string, data: Record<string, unknown> = { decision: 'allow' }): EventEnvelope {
  return createEvent({ type: 'gate.decision', source: 'test/consumers', tenant: 'acme', subject, data });
}

async function auditRows(subject: string) {
  const { rows } = await db.pool.query('SELECT id, decision FROM audit_events WHERE subject = $1', [subject]);
  return rows;
}

it('dead-letters malformed envelopes with the reason and raw bytes, and moves on', async () => {
  const subject = `run-${randomUUID()}`;
  const valid = auditEvent(subject);
  const { tenant: _tenant, ...noTenant } = auditEvent(subject);
  const bad = [
    Buffer.from([0x7b, 0xff, 0x00, 0x22]), // not JSON (and not UTF-8)
    JSON.stringify(noTenant),
    JSON.stringify({ ...auditEvent(subject), schemaVersion: 2 }),
    JSON.stringify(auditEvent(subject, { decision: 'maybe' })),
  ];
  await publish(TOPICS.audit, subject, [...bad, JSON.stringify(valid)]);

  await waitFor(
    async () => (await auditRows(subject)).length === 1,
    30_000,
    'the valid event after the bad ones',
  );
  expect(await auditRows(subject)).toEqual([{ id: valid.id, decision: 'allow' }]);

  const { rows } = await db.pool.query(
    `SELECT consumer_group, topic, kafka_partition, kafka_offset, message_key, reason, raw
       FROM event_dead_letters WHERE message_key = $1 ORDER BY kafka_offset`,
    [subject],
  );
  expect(rows).toHaveLength(4);
  expect(rows.map((r) => r.reason)).toEqual([
    expect.stringMatching(/^not JSON: /),
    expect.stringMatching(/^Invalid event envelope: tenant: /),
    expect.stringMatching(/schemaVersion: expected schemaVersion 1/),
    expect.stringMatching(/data\.decision: expected allow, review or deny/),
  ]);
  expect(rows.map((r) => Buffer.from(r.raw))).toEqual(bad.map((b) => Buffer.from(b)));
  for (const row of rows) {
    expect(row).toMatchObject({ consumer_group: AUDIT_CONSUMER_GROUP, topic: TOPICS.audit });
    expect(row.kafka_partition).toEqual(expect.any(Number));
  }
  const offsets = rows.map((r) => Number(r.kafka_offset));
  const first = offsets[0]!;
  expect(offsets).toEqual([first, first + 1, first + 2, first + 3]);
});

it('dead-letters an event Postgres refuses, without wedging the partition', async () => {
  const subject = `run-${randomUUID()}`;
  const before = auditEvent(subject);
  // A valid envelope, but jsonb cannot hold a NUL character: no retry will ever store it.
  const poison = auditEvent(subject, { decision: 'allow', note: 'nul:\u0000' });
  const after = auditEvent(subject);
  await publish(
    TOPICS.audit,
    subject,
    [before, poison, after].map((e) => JSON.stringify(e)),
  );

  await waitFor(async () => (await auditRows(subject)).length === 2, 30_000, 'the events around the poison');
  expect((await auditRows(subject)).map((r) => r.id).sort()).toEqual([before.id, after.id].sort());
  const { rows } = await db.pool.query('SELECT reason, raw FROM event_dead_letters WHERE message_key = $1', [
    subject,
  ]);
  expect(rows).toHaveLength(1);
  expect(rows[0].reason).toMatch(/^Postgres rejected the event: .*\(SQLSTATE 22/);
  expect(JSON.parse(Buffer.from(rows[0].raw).toString()).id).toBe(poison.id);
});

it('stores a redelivered event once, and a restarted member resumes after its committed offset', async () => {
  const subject = `run-${randomUUID()}`;
  const event = auditEvent(subject, { decision: 'review', score: 0.5 });
  const before = { ...audit.stats };
  // The relay republishes a batch whose ack it lost: Kafka holds the same event twice.
  await publish(TOPICS.audit, subject, [JSON.stringify(event), JSON.stringify(event)]);
  await waitFor(() => audit.stats.duplicates > before.duplicates, 30_000, 'the duplicate to be seen');
  expect(audit.stats.handled - before.handled).toBe(1);
  expect(await auditRows(subject)).toEqual([{ id: event.id, decision: 'review' }]);

  // A new member of the same group picks up after the committed offsets: nothing is replayed.
  await audit.stop();
  const next = createAuditConsumer({ kafka, pool: db.pool, logger, sessionTimeout: 10_000 });
  consumers.splice(consumers.indexOf(audit), 1, next);
  audit = next;
  await next.start();
  const later = auditEvent(subject, { decision: 'deny' });
  await publish(TOPICS.audit, subject, [JSON.stringify(later)]);
  await waitFor(async () => (await auditRows(subject)).length === 2, 30_000, 'the later event');
  expect(next.stats).toEqual({ handled: 1, duplicates: 0, deadLettered: 0 });
});

it('records training events and derives the session from them', async () => {
  const session = `training-${randomUUID()}`;
  const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, s)).toISOString();
  const events = ['training.session.opened', 'training.example.captured', 'training.session.closed'].map(
    (type, i) =>
      createEvent({
        type,
        source: 'test/training',
        tenant: 'acme',
        subject: session,
        time: at(i),
        data: { i },
      }),
  );
  await publish(
    TOPICS.training,
    session,
    events.map((e) => JSON.stringify(e)),
  );
  await waitFor(
    async () =>
      (await db.pool.query('SELECT 1 FROM training_events WHERE session_id = $1', [session])).rowCount === 3,
    30_000,
    'the training events',
  );
  const { rows } = await db.pool.query('SELECT * FROM training_sessions WHERE session_id = $1', [session]);
  expect(rows).toEqual([
    {
      session_id: session,
      tenant: 'acme',
      started_at: new Date(at(0)),
      last_event_at: new Date(at(2)),
      event_count: '3',
      last_event_type: 'training.session.closed',
      closed: true,
    },
  ]);
});

it('notifies in-process subscribers of constitution.updated, in order, despite a failing one', async () => {
  const received: string[] = [];
  const offFailing = notifier.onConstitutionUpdated(() => {
    throw new Error('reload failed');
  });
  const off = notifier.onConstitutionUpdated(async (event) => {
    await new Promise((r) => setTimeout(r, 5));
    received.push(String(event.data.version));
  });
  const tenant = `tenant-${randomUUID()}`;
  const update = (version: number, type = 'constitution.updated') =>
    JSON.stringify(
      createEvent({ type, source: 'test/constitution', tenant, subject: tenant, data: { version } }),
    );
  await publish(TOPICS.constitution, tenant, [
    update(1),
    update(2, 'constitution.proposed'),
    update(3),
    update(3),
  ]);
  await waitFor(() => received.length >= 2, 30_000, 'two notifications');
  // The duplicate of version 3 (same event, redelivered) must not notify again.
  const dup = JSON.parse(update(4)) as EventEnvelope;
  await publish(TOPICS.constitution, tenant, [JSON.stringify(dup), JSON.stringify(dup)]);
  await waitFor(() => received.includes('4'), 30_000, 'the fourth version');
  expect(received).toEqual(['1', '3', '3', '4']);

  off();
  offFailing();
  await publish(TOPICS.constitution, tenant, [update(5)]);
  await new Promise((r) => setTimeout(r, 1_500));
  expect(received).toEqual(['1', '3', '3', '4']);
});
