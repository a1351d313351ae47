import type { Kafka, Producer } from 'kafkajs';
import { createEvent, TOPICS } from '../../../../services/events';
import { createKafka, createProducer, ensureTopics, type KafkaMockPeer } from '../../../../services/kafka';
import {
  createConstitutionHolder,
  startConstitutionSubscription,
  type ConstitutionHolder,
  type ConstitutionSubscription,
} from '../../../../workers/gate';
import {
  proxiedSocketFactory,
  startKafkaMockPeer,
  startTcpProxy,
  testLogger,
  waitFor,
  type TcpProxy,
} from '../../../support/kafka';
import { createGateTestStore, type GateTestStore } from './constitution-store';

jest.setTimeout(90_000);

// The worker's Kafka subscription on its own (the full path with the relay and a worker on the
// devserver is test/integration/workers/constitution-hot-reload.test.ts). Kafka is reached through
// a TCP proxy, so a test can take it away and bring it back.

const logger = testLogger();
let peer: KafkaMockPeer;
let proxy: TcpProxy;
let store: GateTestStore;
let producer: Producer;
const holders: ConstitutionHolder[] = [];
const subscriptions: ConstitutionSubscription[] = [];

beforeAll(async () => {
  [peer, store] = await Promise.all([startKafkaMockPeer(), createGateTestStore('gate_subscription')]);
  const [host, port] = peer.brokers[0]!.split(':');
  proxy = await startTcpProxy({ host: host!, port: Number(port) });
  const direct = createKafka({ brokers: peer.brokers, clientId: 'subscription-test', logger });
  await ensureTopics(direct, logger);
  producer = createProducer(direct);
  await producer.connect();
  await store.publish(1);
});

afterAll(async () => {
  for (const s of subscriptions) await s.stop();
  for (const h of holders) h.stop();
  await producer?.disconnect();
  await proxy?.close();
  await peer?.stop();
  await store?.close();
});

/** A Kafka client whose connections to the broker go through the proxy. */
function proxiedKafka(): Kafka {
  return createKafka({
    brokers: peer.brokers,
    clientId: 'subscription-test-worker',
    logger,
    retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 500 },
    connectionTimeout: 1_000,
    socketFactory: proxiedSocketFactory(peer.brokers[0]!, proxy.port),
  });
}

async function startedHolder(pollIntervalMs = 0) {
  const holder = createConstitutionHolder({
    pool: store.pool,
    trustStore: store.trustStore,
    logger,
    pollIntervalMs,
  });
  holders.push(holder);
  await holder.start();
  return holder;
}

function subscribe(holder: ConstitutionHolder) {
  const subscription = startConstitutionSubscription({
    kafka: proxiedKafka(),
    pool: store.pool,
    holder,
    logger,
    sessionTimeout: 10_000,
  });
  subscriptions.push(subscription);
  return subscription;
}

describe('constitution subscription', () => {
  it('joins once Kafka is back, catches up from the store, then reloads from events', async () => {
    proxy.cut();
    const holder = await startedHolder();
    const before = holder.version;
    const subscription = subscribe(holder);
    // Published while the worker cannot reach Kafka; with no poll here, only the re-read after
    // joining can bring it in.
    const { stored } = await store.publish(before + 1);
    expect(holder.version).toBe(before);

    proxy.restore();
    await subscription.joined;
    expect(holder.version).toBe(before + 1);
    expect(holder.hash).toBe(stored.hash);

    const next = before + 2;
    const event = createEvent({
      type: 'constitution.updated',
      source: 'somagent/constitution',
      tenant: '*',
      subject: 'constitution',
      data: { version: next, jws: await store.sign(next) },
    });
    await producer.send({
      topic: TOPICS.constitution,
      acks: -1,
      messages: [{ key: 'constitution', value: JSON.stringify(event) }],
    });
    await waitFor(() => holder.version === next, 30_000, `version ${next} from Kafka`);
  });

  it('stops promptly while Kafka stays down, and the store poll keeps the holder converging', async () => {
    proxy.cut();
    try {
      const holder = await startedHolder(100);
      const subscription = subscribe(holder);
      const { stored } = await store.publish(holder.version + 1);
      await waitFor(() => holder.hash === stored.hash, 30_000, 'the poll to install the new version');

      await subscription.stop();
      await expect(subscription.joined).rejects.toThrow(/stopped before it joined/);
    } finally {
      proxy.restore();
    }
  });
});
