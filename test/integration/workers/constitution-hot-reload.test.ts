import { WorkflowFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import type { Kafka, Producer } from 'kafkajs';
import pino from 'pino';
import { generateSigningKey, signConstitution } from '../../../constitution';
import { loadConfig, type Config } from '../../../services/config';
import { createEvent, TOPICS } from '../../../services/events';
import { createKafka, createProducer, ensureTopics, type KafkaMockPeer } from '../../../services/kafka';
import { createRelay, type Relay } from '../../../services/relay';
import type { GateDecisionData } from '../../../workers/gate';
import { startWorkerRuntime, type WorkerRuntime } from '../../../workers/worker-runtime';
import { simpleConstitution } from '../../fixtures/constitution/descriptors';
import { rejectionOf, startDevServerHarness, waitFor, type DevServerHarness } from '../../support/devserver';
import { startKafkaMockPeer, testLogger } from '../../support/kafka';
import { createGateTestStore, type GateTestStore } from './gate/constitution-store';

// The worker runtime bundles the workflows at start; that takes a while on a shared machine.
jest.setTimeout(240_000);

// The real path of a constitution update: publish (store row + outbox event in one transaction)
// → relay → Kafka (kcat mock cluster) → the worker runtime's subscription → holder → gate.
// The worker polls Postgres only once a day here, so every reload below came through Kafka.

/** v2: the simple constitution plus a rule that denies loading capsule plans. */
const DENY_PLAN_LOADS = {
  rules: [
    ...(simpleConstitution().rules ?? []),
    {
      id: 'no-plan-loads',
      description: 'Capsule plans may not be loaded while this version is in force.',
      when: 'activityType == "loadCapsulePlan"',
      effect: 'deny' as const,
    },
  ],
};

const logger = testLogger();
/** Everything the worker runtime logs, as parsed JSON records. */
const workerLogs: Array<Record<string, unknown>> = [];
const workerLogger = pino(
  { level: 'info' },
  { write: (line: string) => void workerLogs.push(JSON.parse(line) as Record<string, unknown>) },
);

let peer: KafkaMockPeer;
let kafka: Kafka;
let producer: Producer;
let relay: Relay;
let store: GateTestStore;
let devserver: DevServerHarness;
let config: Config;
let runtime: WorkerRuntime;
let running: Promise<void>;
let taskQueue: string;

beforeAll(async () => {
  [peer, store, devserver] = await Promise.all([
    startKafkaMockPeer(),
    createGateTestStore('hot_reload'),
    startDevServerHarness(),
  ]);
  kafka = createKafka({ brokers: peer.brokers, clientId: 'hot-reload-test', logger });
  await ensureTopics(kafka, logger);
  producer = createProducer(kafka);
  await producer.connect();
  relay = createRelay({ pool: store.pool, producer, logger, pollIntervalMs: 50 });
  relay.start();
  await store.publish(1);

  taskQueue = devserver.taskQueue('hot-reload');
  config = loadConfig({
    DATABASE_URL: store.url,
    REDIS_URL: process.env.REDIS_URL,
    REDIS_KEY_PREFIX: process.env.REDIS_KEY_PREFIX,
    TEMPORAL_ADDRESS: devserver.address,
    TEMPORAL_NAMESPACE: devserver.namespace,
    TEMPORAL_TASK_QUEUE: taskQueue,
    KAFKA_BROKERS: peer.brokers.join(','),
    KAFKA_SESSION_TIMEOUT_MS: '10000',
    CONSTITUTION_POLL_INTERVAL_MS: String(86_400_000), // a day: only Kafka can deliver in time
  });
  runtime = await startWorkerRuntime({
    config,
    logger: workerLogger,
    trustStore: store.trustStore,
    // Served as `npm run worker` and `npm start` serve them (port 0: any free one).
    metrics: { port: 0, host: '127.0.0.1' },
  });
  running = runtime.run();
  // Joined and past the first fetch: from now on every publish reaches this worker by Kafka.
  await runtime.constitutionSubscription!.joined;
});

afterAll(async () => {
  if (runtime?.worker.getState() === 'RUNNING') runtime.worker.shutdown();
  await running?.catch(() => undefined);
  await relay?.stop();
  await producer?.disconnect();
  await devserver?.close();
  await peer?.stop();
  await store?.close();
});

/** Runs a capsule workflow whose capsule does not exist: its one activity is `loadCapsulePlan`. */
async function runPlanLoad(label: string) {
  const handle = await devserver.client.workflow.start('capsuleWorkflow', {
    taskQueue,
    workflowId: devserver.workflowId(label),
    args: [{ capsule: 'nothing.here@^1' }],
  });
  const err = await rejectionOf(handle.result());
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const failure = (err as WorkflowFailedError).cause as ApplicationFailure;
  const { rows } = await store.pool.query<{ data: GateDecisionData }>(
    `SELECT envelope->'data' AS data FROM outbox WHERE envelope->>'type' = 'gate.decision' AND key = $1 ORDER BY seq`,
    [handle.workflowId],
  );
  return { failure, decisions: rows.map((r) => r.data) };
}

/** A `constitution.updated` event put straight on the topic, as anyone with Kafka access could. */
async function sendUpdate(version: number, jws: string) {
  const event = createEvent({
    type: 'constitution.updated',
    source: 'somagent/constitution',
    tenant: '*',
    subject: 'constitution',
    data: { version, jws },
  });
  await producer.send({
    topic: TOPICS.constitution,
    acks: -1,
    messages: [{ key: 'constitution', value: JSON.stringify(event) }],
  });
  return event.id;
}

function logsFor(eventId: string) {
  return workerLogs.filter((r) => r.eventId === eventId);
}

describe('worker constitution hot reload over Kafka', () => {
  it('denies an activity allowed under v1 right after v2 is published', async () => {
    expect(runtime.holder.version).toBe(1);
    const before = await runPlanLoad('v1');
    expect(before.failure.type).toBe('InvalidPlan'); // the activity ran: no such capsule
    expect(before.decisions).toEqual([
      expect.objectContaining({ activityType: 'loadCapsulePlan', decision: 'allow', constitutionVersion: 1 }),
    ]);

    const { stored } = await store.publish(2, DENY_PLAN_LOADS);
    await waitFor('the worker to install v2 from Kafka', () => runtime.holder.version === 2, 60_000);
    expect(runtime.holder.hash).toBe(stored.hash);
    expect(workerLogs).toContainEqual(
      expect.objectContaining({
        msg: 'constitution installed',
        version: 2,
        previousVersion: 1,
        source: 'event',
      }),
    );

    const after = await runPlanLoad('v2');
    expect(after.failure.type).toBe('ConstitutionDenied');
    // The version in force and the decisions are on the worker's metrics endpoint.
    expect(runtime.metrics!.url).toBe(`http://127.0.0.1:${runtime.metrics!.port}/metrics`);
    const exposition = await (await fetch(runtime.metrics!.url)).text();
    expect(exposition).toContain('process_cpu_user_seconds_total');
    expect(exposition).toContain('somagent_gate_constitution_version 2');
    expect(exposition).toMatch(
      /somagent_gate_decisions_total\{outcome="deny",activity_type="loadCapsulePlan"\} 1/,
    );
    expect(after.decisions).toEqual([
      expect.objectContaining({
        activityType: 'loadCapsulePlan',
        decision: 'deny',
        constitutionVersion: 2,
        constitutionHash: stored.hash,
        rulesFired: [expect.objectContaining({ id: 'no-plan-loads' })],
      }),
    ]);
  });

  it('rejects tampered, untrusted and rollback documents with the reason and keeps v2', async () => {
    const hash = runtime.holder.hash;
    // Tampered: a correctly signed v3 whose payload was edited afterwards.
    const [header, payload, signature] = (await store.sign(3)).split('.');
    const document = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as { threshold: number };
    document.threshold = 0;
    const tampered = [header, Buffer.from(JSON.stringify(document)).toString('base64url'), signature].join(
      '.',
    );
    // Untrusted: a well-formed v3 signed by a key the worker does not trust.
    const stranger = await generateSigningKey();
    const untrusted = await signConstitution(simpleConstitution({ version: 3 }), {
      privateJwk: stranger.privateJwk,
    });
    // Rollback: v1 signed by the trusted key today, announced as v9.
    const rollback = await store.sign(1, { label: '1.1.1' });

    const tamperedId = await sendUpdate(3, tampered);
    const untrustedId = await sendUpdate(3, untrusted);
    const rollbackId = await sendUpdate(9, rollback);

    await waitFor(
      'the worker to judge all three updates',
      () => [tamperedId, untrustedId, rollbackId].every((id) => logsFor(id).length > 0),
      60_000,
    );
    expect(logsFor(tamperedId)).toEqual([
      expect.objectContaining({
        msg: 'constitution update rejected; keeping the version in force',
        reason: expect.stringMatching(/signature/i),
      }),
    ]);
    expect(logsFor(untrustedId)).toEqual([
      expect.objectContaining({
        msg: 'constitution update rejected; keeping the version in force',
        reason: expect.stringMatching(/not in the trust store/),
      }),
    ]);
    expect(logsFor(rollbackId)).toEqual([
      expect.objectContaining({
        msg: 'constitution update ignored; keeping the version in force',
        reason: expect.stringMatching(/not newer than 2 \(a replay or a rollback\)/),
      }),
    ]);
    expect(runtime.holder.version).toBe(2);
    expect(runtime.holder.hash).toBe(hash);

    const still = await runPlanLoad('after-bad-updates');
    expect(still.failure.type).toBe('ConstitutionDenied');
    expect(still.decisions).toEqual([expect.objectContaining({ decision: 'deny', constitutionVersion: 2 })]);
  });

  it('refuses to start a second worker on a metrics port in use, naming METRICS_PORT', async () => {
    const port = runtime.metrics!.port;
    await expect(
      startWorkerRuntime({
        config,
        logger: workerLogger,
        trustStore: store.trustStore,
        metrics: { port, host: '127.0.0.1' },
      }),
    ).rejects.toThrow(`metrics: port ${port} on 127.0.0.1 is in use: set METRICS_PORT to a free port`);
    // The first worker's endpoint is unharmed.
    expect((await fetch(runtime.metrics!.url)).status).toBe(200);
  });

  it('leaves the consumer group and closes cleanly when the worker shuts down', async () => {
    const { groupId } = runtime.constitutionSubscription!;
    // kafkajs logs `Stopped` once the consumer left its group (runner stopped, LeaveGroup sent).
    const stopped = () => workerLogs.filter((r) => r.msg === 'Stopped' && r.groupId === groupId);
    expect(stopped()).toEqual([]);
    runtime.worker.shutdown();
    await running;
    expect(runtime.worker.getState()).toBe('STOPPED');
    expect(stopped().length).toBeGreaterThan(0);
    await expect(runtime.constitutionSubscription!.joined).resolves.toBeUndefined();
    // The metrics endpoint closed with the rest.
    await expect(fetch(runtime.metrics!.url)).rejects.toThrow();
  });
});
