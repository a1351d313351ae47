import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { Kafka, Producer } from 'kafkajs';
import type { Capsule } from '../../../capsules/capsule-schema';
import { CapsuleValidationError } from '../../../capsules/errors';
import { BUILTIN_LIBRARY_DIR, loadLibrary } from '../../../capsules/library-loader';
import { createCapsuleRegistry, type CapsuleRegistry } from '../../../capsules/registry/registry-store';
import { createJwtVerifier } from '../../../services/auth';
import type { EventConsumer } from '../../../services/consumers';
import { startDevServer, type DevServer } from '../../../services/devserver';
import { createEvent, type EventEnvelope } from '../../../services/events';
import { createKafka, createProducer, type KafkaMockPeer } from '../../../services/kafka';
import { requestWorkflowId } from '../../../services/runs';
import {
  createEventDispatcher,
  createTriggerConsumer,
  createWebhookServer,
  TRIGGER_CONSUMER_GROUP,
  TRIGGER_EVENTS_TOPIC,
  triggerRequestId,
  type TriggeredRun,
} from '../../../services/triggers';
import { SEARCH_ATTRIBUTES } from '../../../workflows/shared/search-attributes';
import { registerSearchAttributes } from '../../../workers/register-search-attributes';
import {
  createTestIssuer,
  TEST_AUDIENCE,
  TEST_ISSUER,
  type TestIssuer,
} from '../../fixtures/constitution/auth';
import { createKafkaTestDatabase } from '../../support/kafka-database';
import { startKafkaMockPeer, testLogger, waitFor } from '../../support/kafka';

// A Kafka peer, a devserver, a private database and a consumer-group join on a shared machine.
jest.setTimeout(120_000);

const logger = testLogger();
const TRIAGE = 'support.issue-triage';
let peer: KafkaMockPeer;
let db: Awaited<ReturnType<typeof createKafkaTestDatabase>>;
let devserver: DevServer;
let connection: Connection;
let client: Client;
let kafka: Kafka;
let producer: Producer;
let registry: CapsuleRegistry;
let triage: Capsule;
let consumer: EventConsumer;
let webhook: FastifyInstance;
let webhookUrl: string;
let issuer: TestIssuer;
const taskQueue = `triggers-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  [peer, db, devserver] = await Promise.all([
    startKafkaMockPeer(),
    createKafkaTestDatabase('triggers'),
    startDevServer({ port: 0, persistence: { kind: 'memory' }, logger }),
  ]);
  connection = await Connection.connect({ address: devserver.address });
  client = new Client({ connection, namespace: 'default' });
  await registerSearchAttributes({
    operatorService: connection.operatorService,
    namespace: 'default',
    logger,
  });

  registry = createCapsuleRegistry({ pool: db.pool });
  const library = await loadLibrary([BUILTIN_LIBRARY_DIR]);
  for (const persona of library.personas) await registry.publishPersona(persona.value);
  triage = library.capsules.find((c) => c.value.id === TRIAGE)!.value;
  await registry.publishCapsule(triage);

  const dispatch = createEventDispatcher({ client, capsules: registry, taskQueue });
  kafka = createKafka({ brokers: peer.brokers, clientId: 'triggers-test', logger });
  producer = createProducer(kafka);
  await producer.connect();
  consumer = createTriggerConsumer({ kafka, pool: db.pool, logger, dispatch, sessionTimeout: 10_000 });
  await consumer.start();

  issuer = await createTestIssuer();
  const verifier = createJwtVerifier({
    jwks: { keys: [issuer.publicJwk] },
    issuer: TEST_ISSUER,
    audience: TEST_AUDIENCE,
  });
  webhook = createWebhookServer({ dispatch, verifier, logger });
  await webhook.listen({ port: 0, host: '127.0.0.1' });
  webhookUrl = `http://127.0.0.1:${(webhook.server.address() as AddressInfo).port}/v1/events`;
});

afterAll(async () => {
  await webhook?.close();
  await consumer?.stop();
  await producer?.disconnect();
  await connection?.close();
  await devserver?.stop();
  await peer?.stop();
  await db?.drop();
});

/** A tenant per test, so each test lists only its own runs. */
const newTenant = () => `t-${randomUUID().slice(0, 8)}`;

function issueOpened(
  tenant: string,
  issue: Record<string, unknown>,
  type = 'github.issue.opened',
): EventEnvelope {
  return createEvent({
    type,
    source: 'github',
    tenant,
    subject: 'acme/widgets',
    data: { action: 'opened', issue, repository: { full_name: 'acme/widgets' } },
  });
}

async function produce(values: (string | EventEnvelope)[]): Promise<void> {
  await producer.send({
    topic: TRIGGER_EVENTS_TOPIC,
    acks: -1,
    messages: values.map((v) => ({ key: 'github', value: typeof v === 'string' ? v : JSON.stringify(v) })),
  });
}

async function runsOf(tenant: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const run of client.workflow.list({ query: `SomagentTenant = '${tenant}'` }))
    ids.push(run.workflowId);
  return ids;
}

async function processed(eventId: string): Promise<boolean> {
  const { rowCount } = await db.pool.query(
    'SELECT 1 FROM consumer_processed_events WHERE consumer_group = $1 AND event_id = $2',
    [TRIGGER_CONSUMER_GROUP, eventId],
  );
  return rowCount === 1;
}

async function deadLetters(): Promise<Array<{ reason: string; raw: Buffer }>> {
  const { rows } = await db.pool.query<{ reason: string; raw: Buffer }>(
    'SELECT reason, raw FROM event_dead_letters WHERE consumer_group = $1 ORDER BY id',
    [TRIGGER_CONSUMER_GROUP],
  );
  return rows;
}

/** The capsuleWorkflow input a run was started with (first history event). */
async function startInput(workflowId: string): Promise<Record<string, unknown>> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const payload = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
  return JSON.parse(Buffer.from(payload.data!).toString('utf8')) as Record<string, unknown>;
}

describe('event triggers on the Kafka topic', () => {
  it('an event produced twice starts exactly one run, pinned, with the event as its trigger', async () => {
    const tenant = newTenant();
    const event = issueOpened(tenant, { number: 42, title: 'Crash on save', body: 'Steps to reproduce' });
    const before = { ...consumer.stats };
    await produce([event, event]);
    await waitFor(() => consumer.stats.duplicates > before.duplicates, 60_000, 'the redelivery to be seen');
    expect(consumer.stats.handled - before.handled).toBe(1);

    const workflowId = requestWorkflowId(TRIAGE, tenant, triggerRequestId(event.id, TRIAGE, 0));
    expect(await runsOf(tenant)).toEqual([workflowId]);
    const description = await client.workflow.getHandle(workflowId).describe();
    expect(description.type).toBe('capsuleWorkflow');
    expect(description.taskQueue).toBe(taskQueue);
    expect(description.typedSearchAttributes.get(SEARCH_ATTRIBUTES.capsuleId)).toBe(TRIAGE);
    expect(description.typedSearchAttributes.get(SEARCH_ATTRIBUTES.capsuleVersion)).toBe(triage.version);
    expect(description.typedSearchAttributes.get(SEARCH_ATTRIBUTES.tenant)).toBe(tenant);
    expect(description.typedSearchAttributes.get(SEARCH_ATTRIBUTES.trigger)).toBe('event');
    expect(await startInput(workflowId)).toEqual({
      capsule: `${TRIAGE}@${triage.version}`,
      params: {
        repository: 'acme/widgets',
        issueNumber: 42,
        issueTitle: 'Crash on save',
        issueBody: 'Steps to reproduce',
      },
      trigger: {
        kind: 'event',
        event: { type: 'github.issue.opened', id: event.id, data: event.data },
        requestId: triggerRequestId(event.id, TRIAGE, 0),
      },
      tenant,
    });
  });

  it('an event the filter rejects starts nothing and is not a dead letter', async () => {
    const tenant = newTenant();
    const pr = issueOpened(tenant, { number: 7, title: 'Add feature', pull_request: { url: 'https://x' } });
    const lettersBefore = (await deadLetters()).length;
    await produce([pr]);
    await waitFor(() => processed(pr.id), 60_000, 'the pull request event to be handled');
    expect(await runsOf(tenant)).toEqual([]);
    expect(await deadLetters()).toHaveLength(lettersBefore);
  });

  it('dead-letters a non-envelope, an event nobody listens for and params the capsule refuses, then moves on', async () => {
    const tenant = newTenant();
    const nobody = issueOpened(tenant, { number: 1, title: 't' }, 'github.issue.closed');
    const badParams = issueOpened(tenant, { number: 'forty-two', title: 't' });
    const good = issueOpened(tenant, { number: 5, title: 'after the bad ones' });
    const lettersBefore = (await deadLetters()).length;
    await produce(['{"not": "an envelope"}', nobody, badParams, good]);
    await waitFor(() => processed(good.id), 60_000, 'the good event after the bad ones');

    const letters = (await deadLetters()).slice(lettersBefore);
    expect(letters.map((l) => l.reason)).toEqual([
      expect.stringMatching(/^Invalid event envelope: schemaVersion: /),
      expect.stringMatching(/^no published capsule has an event trigger for "github\.issue\.closed"/),
      `event ${badParams.id} (github.issue.opened): ${TRIAGE}@${triage.version} triggers[0]: ` +
        'params.issueNumber: "issueNumber" must be a number, got string (no run started)',
    ]);
    expect(JSON.parse(letters[2]!.raw.toString('utf8'))).toEqual(badParams);
    expect(await runsOf(tenant)).toEqual([
      requestWorkflowId(TRIAGE, tenant, triggerRequestId(good.id, TRIAGE, 0)),
    ]);
  });
});

/** What the webhook answers, success or error. */
interface WebhookBody {
  error?: string;
  message?: string;
  issues?: Array<{ path: string; message: string }>;
  eventId?: string;
  runs?: TriggeredRun[];
  filtered?: unknown[];
  failed?: unknown[];
}

describe('POST /v1/events', () => {
  async function post(body: unknown, token?: string): Promise<{ status: number; body: WebhookBody }> {
    const response = await fetch(webhookUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token !== undefined && { authorization: `Bearer ${token}` }),
      },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as WebhookBody };
  }
  const token = (tenant: string, scope = 'events:publish') => issuer.token({ scope, claims: { tenant } });

  it('refuses a missing or forged token (401) and a token without the capability or for another tenant (403)', async () => {
    const tenant = newTenant();
    const event = issueOpened(tenant, { number: 9, title: 't' });
    expect(await post(event)).toMatchObject({ status: 401, body: { error: 'missing_token' } });
    const forger = await createTestIssuer(issuer.publicJwk.kid);
    const forged = await forger.token({ scope: 'events:publish', claims: { tenant } });
    expect(await post(event, forged)).toMatchObject({ status: 401, body: { error: 'bad_signature' } });
    expect(await post(event, await token(tenant, 'constitution:read'))).toMatchObject({
      status: 403,
      body: { error: 'insufficient_scope' },
    });
    expect(await post(event, await token('someone-else'))).toMatchObject({
      status: 403,
      body: { error: 'wrong_tenant', message: expect.stringContaining(`event's tenant is "${tenant}"`) },
    });
    expect(await runsOf(tenant)).toEqual([]);
  });

  it('answers 400 naming the envelope field at fault', async () => {
    const tenant = newTenant();
    const { id: _id, ...noId } = issueOpened(tenant, { number: 1 });
    const answer = await post({ ...noId, data: 'text' }, await token(tenant));
    expect(answer).toMatchObject({ status: 400, body: { error: 'invalid_envelope' } });
    expect(answer.body.issues).toEqual([
      { path: 'id', message: expect.any(String) },
      { path: 'data', message: 'expected a JSON object' },
    ]);
  });

  it('starts the run for a good token (202) and answers a redelivery with the same run', async () => {
    const tenant = newTenant();
    const event = issueOpened(tenant, { number: 11, title: 'Webhook issue' });
    const first = await post(event, await token(tenant));
    expect(first.status).toBe(202);
    const workflowId = requestWorkflowId(TRIAGE, tenant, triggerRequestId(event.id, TRIAGE, 0));
    expect(first.body).toEqual({
      eventId: event.id,
      runs: [
        {
          capsule: { id: TRIAGE, version: triage.version },
          triggerIndex: 0,
          workflowId,
          runId: expect.any(String),
        },
      ],
      filtered: [],
      failed: [],
    });
    const again = await post(event, await token(tenant));
    expect(again).toEqual(first);
    expect(await runsOf(tenant)).toEqual([workflowId]);
    const description = await client.workflow.getHandle(workflowId).describe();
    expect(description.runId).toBe(first.body.runs![0]!.runId);
    expect(description.typedSearchAttributes.get(SEARCH_ATTRIBUTES.trigger)).toBe('event');
  });

  it('answers 422 for an event no capsule listens for', async () => {
    const tenant = newTenant();
    const answer = await post(issueOpened(tenant, { number: 1 }, 'github.issue.closed'), await token(tenant));
    expect(answer).toMatchObject({ status: 422, body: { error: 'no_listener', runs: [] } });
  });
});

describe('publishing an event trigger', () => {
  it('refuses a filter that is not valid CEL, naming triggers[0].filter', async () => {
    const broken = {
      ...triage,
      id: 'support.broken-triage',
      triggers: [{ type: 'event', event: 'github.issue.opened', filter: 'data.issue.number >', params: {} }],
    };
    const err = await registry.publishCapsule(broken).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CapsuleValidationError);
    expect((err as CapsuleValidationError).diagnostics).toContainEqual(
      expect.objectContaining({
        severity: 'error',
        code: 'invalid-filter',
        path: 'triggers[0].filter',
        message: expect.stringContaining('Unexpected token: EOF at character 20'),
      }),
    );
    expect(await registry.show('capsule', 'support.broken-triage@*')).toBeUndefined();
  });
});

describe('registry.eventTriggered', () => {
  it('listens with the latest live version only: a newer version without the trigger stops it, deprecating that one restores it', async () => {
    const id = 'support.labeled-triage';
    const listening = {
      ...triage,
      id,
      version: '2.0.0',
      triggers: [{ ...triage.triggers[0]!, event: 'github.issue.labeled' }],
    } as Capsule;
    await registry.publishCapsule(listening);
    expect(
      (await registry.eventTriggered('github.issue.labeled')).map((r) => `${r.id}@${r.version}`),
    ).toEqual([`${id}@2.0.0`]);
    await registry.publishCapsule({ ...listening, version: '2.1.0', triggers: [{ type: 'manual' }] });
    expect(await registry.eventTriggered('github.issue.labeled')).toEqual([]);
    await registry.deprecate('capsule', id, '2.1.0', 'dropped the trigger by mistake');
    expect((await registry.eventTriggered('github.issue.labeled')).map((r) => r.version)).toEqual(['2.0.0']);
  });
});
