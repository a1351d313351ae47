import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { NativeConnection, Worker } from '@temporalio/worker';
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { startDevServer, type DevServer } from '../../../services/devserver';
import { createLogger } from '../../../services/logger';
import { IDENTITY_HEADER } from '../../../workflows/shared/identity';
import {
  registerSearchAttributes,
  SearchAttributeRegistrationError,
} from '../../../workers/register-search-attributes';
import {
  bundleFixtureWorkflows,
  installQuietRuntime,
  rejectionOf,
  uniqueSuffix,
} from '../../support/devserver';
import { echoWorkflow } from '../../fixtures/devserver/workflows';

const ISSUER = 'https://idp.test';
const AUDIENCE = 'temporal';
const UNAUTHENTICATED = 16;
const PERMISSION_DENIED = 7;

type Keys = Awaited<ReturnType<typeof generateKeyPair>>;

let keys: Keys;
let otherKeys: Keys;
let server: DevServer;
const connections: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  installQuietRuntime();
  keys = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  otherKeys = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'test-key', alg: 'EdDSA' };
  server = await startDevServer({
    port: 0,
    auth: { keys: { keys: [jwk] }, issuer: ISSUER, audience: AUDIENCE },
    logger: createLogger({ level: process.env.DEVSERVER_TEST_LOG ?? 'warn', name: 'devserver-auth-test' }),
  });
});

afterAll(async () => {
  for (const connection of connections) await connection.close().catch(() => undefined);
  await server?.stop();
});

/** A token signed with the trusted key unless told otherwise. */
async function token(
  claims: JWTPayload,
  {
    key = keys.privateKey,
    audience = AUDIENCE,
    expiresIn = '5m',
  }: { key?: Keys['privateKey']; audience?: string; expiresIn?: string | number } = {},
): Promise<string> {
  return new SignJWT({ sub: 'alice', ...claims })
    .setProtectedHeader({ alg: 'EdDSA', kid: 'test-key' })
    .setIssuer(ISSUER)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(key);
}

async function clientWith(apiKey?: string, address = server.address): Promise<Client> {
  const connection = await Connection.connect({ address, ...(apiKey ? { apiKey, tls: false } : {}) });
  connections.push(connection);
  return new Client({ connection, namespace: 'default' });
}

function startRequest(extra: Record<string, unknown> = {}) {
  return {
    namespace: 'default',
    workflowId: `auth-${uniqueSuffix()}`,
    workflowType: { name: 'echoWorkflow' },
    taskQueue: { name: `auth-idle-${uniqueSuffix()}` },
    input: { payloads: [defaultPayloadConverter.toPayload({ value: 'x' })] },
    requestId: randomUUID(),
    identity: 'auth-test',
    ...extra,
  };
}

function identityHeader(identity: Record<string, unknown>) {
  return { fields: { [IDENTITY_HEADER]: defaultPayloadConverter.toPayload(identity) } };
}

/** The gRPC code and message of a refused call. */
async function refusal(promise: Promise<unknown>): Promise<{ code: number; details: string }> {
  const err = (await rejectionOf(promise)) as { code?: number; details?: string };
  return { code: err.code ?? -1, details: err.details ?? '' };
}

/** The identity header of a run's WorkflowExecutionStarted event, decoded. */
async function startedIdentity(client: Client, workflowId: string): Promise<unknown> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const payload =
    history.events?.[0]?.workflowExecutionStartedEventAttributes?.header?.fields?.[IDENTITY_HEADER];
  return payload ? defaultPayloadConverter.fromPayload(payload) : undefined;
}

describe('devserver auth mode', () => {
  it('refuses start, signal and query without a token, saying what to send', async () => {
    const admin = await clientWith(await token({ permissions: ['system:admin'] }));
    const started = startRequest();
    await admin.workflowService.startWorkflowExecution(started);
    const anonymous = await clientWith();
    const execution = { workflowId: started.workflowId };
    for (const call of [
      anonymous.workflowService.startWorkflowExecution(startRequest()),
      anonymous.workflowService.signalWorkflowExecution({
        namespace: 'default',
        workflowExecution: execution,
        signalName: 'add',
      }),
      anonymous.workflowService.queryWorkflow({
        namespace: 'default',
        execution,
        query: { queryType: 'items' },
      }),
    ]) {
      const { code, details } = await refusal(call);
      expect(code).toBe(UNAUTHENTICATED);
      expect(details).toContain('send metadata authorization: Bearer <JWT>');
      expect(details).toContain('TEMPORAL_API_KEY or TEMPORAL_API_KEY_FILE');
    }
  });

  it('lets a default:read token describe and list but not start or signal', async () => {
    const writer = await clientWith(await token({ permissions: ['default:write'] }));
    const started = startRequest();
    await writer.workflowService.startWorkflowExecution(started);
    const reader = await clientWith(await token({ permissions: ['default:read'] }));

    const start = await refusal(reader.workflowService.startWorkflowExecution(startRequest()));
    expect(start.code).toBe(PERMISSION_DENIED);
    expect(start.details).toContain('StartWorkflowExecution on namespace "default" needs role write');
    expect(start.details).toContain('"default:write"');
    const signal = await refusal(
      reader.workflowService.signalWorkflowExecution({
        namespace: 'default',
        workflowExecution: { workflowId: started.workflowId },
        signalName: 'add',
      }),
    );
    expect(signal.code).toBe(PERMISSION_DENIED);
    expect(signal.details).toContain('SignalWorkflowExecution');

    const described = await reader.workflow.getHandle(started.workflowId).describe();
    expect(described.status.name).toBe('RUNNING');
    const listed = await reader.workflowService.listWorkflowExecutions({
      namespace: 'default',
      query: `WorkflowId = '${started.workflowId}'`,
    });
    expect(listed.executions).toHaveLength(1);
  });

  it('refuses a token for another namespace and allows system:admin', async () => {
    const other = await clientWith(await token({ permissions: ['other:write'] }));
    const refused = await refusal(other.workflowService.startWorkflowExecution(startRequest()));
    expect(refused.code).toBe(PERMISSION_DENIED);
    expect(refused.details).toContain('namespace "default"');

    const admin = await clientWith(await token({ permissions: ['system:admin'] }));
    const started = await admin.workflowService.startWorkflowExecution(startRequest());
    expect(started.runId).toBeTruthy();
    const namespaces = await admin.workflowService.listNamespaces({});
    expect(namespaces.namespaces?.map((n) => n.namespaceInfo?.name)).toContain('default');
  });

  it('checks unimplemented methods too before saying they are unimplemented', async () => {
    const request = { namespace: 'default' };
    const anonymous = await clientWith();
    const unauthenticated = await refusal(anonymous.workflowService.listBatchOperations(request));
    expect(unauthenticated.code).toBe(UNAUTHENTICATED);
    const admin = await clientWith(await token({ permissions: ['system:admin'] }));
    const unimplemented = await refusal(admin.workflowService.listBatchOperations(request));
    expect(unimplemented.code).toBe(12 /* UNIMPLEMENTED */);
    expect(unimplemented.details).toContain('unknown method ListBatchOperations');
  });

  it('needs a system role for cluster-scoped calls', async () => {
    const nsAdmin = await clientWith(await token({ permissions: ['default:admin'] }));
    const refused = await refusal(nsAdmin.workflowService.listNamespaces({}));
    expect(refused.code).toBe(PERMISSION_DENIED);
    expect(refused.details).toContain('ListNamespaces needs role read');
    expect(refused.details).toContain('"system:read"');
  });

  it.each([
    [
      'expired',
      () => token({ permissions: ['system:admin'] }, { expiresIn: Math.floor(Date.now() / 1000) - 120 }),
      'token expired',
    ],
    [
      'for another audience',
      () => token({ permissions: ['system:admin'] }, { audience: 'elsewhere' }),
      'token claim "aud" is invalid',
    ],
    [
      'signed by an untrusted key',
      () => token({ permissions: ['system:admin'] }, { key: otherKeys.privateKey }),
      'token signature is invalid',
    ],
    [
      'unsigned (alg none)',
      () => {
        const encode = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
        const now = Math.floor(Date.now() / 1000);
        const payload = {
          sub: 'alice',
          iss: ISSUER,
          aud: AUDIENCE,
          exp: now + 300,
          permissions: ['system:admin'],
        };
        return Promise.resolve(`${encode({ alg: 'none', typ: 'JWT' })}.${encode(payload)}.`);
      },
      'malformed or uses a disallowed algorithm',
    ],
  ])('refuses a token %s as UNAUTHENTICATED', async (_label, makeToken, reason) => {
    const bad = await makeToken();
    const client = await clientWith(bad);
    const { code, details } = await refusal(client.workflowService.startWorkflowExecution(startRequest()));
    expect(code).toBe(UNAUTHENTICATED);
    expect(details).toContain(reason);
    expect(details).not.toContain(bad);
  });

  it('runs a workflow end to end with default:write tokens on worker and client', async () => {
    const writeToken = await token({ sub: 'worker', permissions: ['default:write'] });
    const connection = await NativeConnection.connect({
      address: server.address,
      apiKey: writeToken,
      tls: false,
    });
    connections.push(connection);
    const taskQueue = `auth-${uniqueSuffix()}`;
    const worker = await Worker.create({
      connection,
      namespace: 'default',
      taskQueue,
      workflowBundle: await bundleFixtureWorkflows(),
      shutdownGraceTime: '2s',
    });
    const client = await clientWith(await token({ permissions: ['default:write'] }));
    const result = await worker.runUntil(
      client.workflow.execute(echoWorkflow, {
        taskQueue,
        workflowId: `auth-echo-${uniqueSuffix()}`,
        args: [{ value: 'authorized' }],
      }),
    );
    expect(result).toBe('authorized');
  });

  it('lets a worker without admin carry on when the search attributes exist, and says how to add them when not', async () => {
    const logger = createLogger({ level: 'silent' });
    const admin = await clientWith(await token({ permissions: ['system:admin'] }));
    const namespace = `auth-sa-${uniqueSuffix()}`;
    await admin.workflowService.registerNamespace({ namespace });
    const worker = await clientWith(await token({ sub: 'worker', permissions: [`${namespace}:write`] }));
    const definitions = [{ name: 'AuthTestKeyword', type: 'KEYWORD' }];

    const denied = await rejectionOf(
      registerSearchAttributes({
        operatorService: worker.connection.operatorService,
        namespace,
        logger,
        definitions,
      }),
    );
    expect(denied).toBeInstanceOf(SearchAttributeRegistrationError);
    expect((denied as Error).message).toContain(`AuthTestKeyword are missing on namespace ${namespace}`);
    expect((denied as Error).message).toContain(`"${namespace}:admin"`);
    expect((denied as Error).message).toContain('needs role admin');

    await expect(
      registerSearchAttributes({
        operatorService: admin.connection.operatorService,
        namespace,
        logger,
        definitions,
      }),
    ).resolves.toEqual(['AuthTestKeyword']);
    await expect(
      registerSearchAttributes({
        operatorService: worker.connection.operatorService,
        namespace,
        logger,
        definitions,
      }),
    ).resolves.toEqual([]);
  });

  describe('identity header', () => {
    const claims = {
      sub: 'alice',
      tenant: 'acme',
      scope: 'capsule:run capsule:inline',
      permissions: ['default:write'],
    };

    it('is stamped from the token when a start carries none', async () => {
      const client = await clientWith(await token(claims));
      const request = startRequest();
      await client.workflowService.startWorkflowExecution(request);
      expect(await startedIdentity(client, request.workflowId)).toEqual({
        subject: 'alice',
        tenant: 'acme',
        capabilities: ['capsule:run', 'capsule:inline'],
      });
    });

    it('passes a header that matches the token unchanged', async () => {
      const client = await clientWith(await token(claims));
      const identity = { subject: 'alice', tenant: 'acme', capabilities: ['capsule:run'] };
      const request = startRequest({ header: identityHeader(identity) });
      await client.workflowService.startWorkflowExecution(request);
      expect(await startedIdentity(client, request.workflowId)).toEqual(identity);
    });

    it('refuses a header naming another tenant or a capability the token lacks', async () => {
      const client = await clientWith(await token(claims));
      const tenant = await refusal(
        client.workflowService.startWorkflowExecution(
          startRequest({ header: identityHeader({ subject: 'alice', tenant: 'globex', capabilities: [] }) }),
        ),
      );
      expect(tenant.code).toBe(PERMISSION_DENIED);
      expect(tenant.details).toContain(
        `header.fields["${IDENTITY_HEADER}"].tenant does not match the bearer token`,
      );
      const capability = await refusal(
        client.workflowService.signalWithStartWorkflowExecution({
          ...startRequest({
            header: identityHeader({ subject: 'alice', tenant: 'acme', capabilities: ['tenant:any'] }),
          }),
          signalName: 'add',
        }),
      );
      expect(capability.code).toBe(PERMISSION_DENIED);
      expect(capability.details).toContain('"tenant:any"');
    });

    it('accepts another caller from a token with identity:assert', async () => {
      const gateway = await clientWith(
        await token({ sub: 'gateway', scope: 'identity:assert', permissions: ['default:write'] }),
      );
      const identity = { subject: 'bob', tenant: 'globex', capabilities: ['capsule:run'] };
      const request = startRequest({ header: identityHeader(identity) });
      await gateway.workflowService.startWorkflowExecution(request);
      expect(await startedIdentity(gateway, request.workflowId)).toEqual(identity);
    });

    it('is checked and stamped on the start operation of update-with-start', async () => {
      const client = await clientWith(await token(claims));
      const multi = (header?: ReturnType<typeof identityHeader>) => {
        const start = startRequest(header ? { header } : {});
        return {
          workflowId: start.workflowId,
          call: client.workflowService.executeMultiOperation({
            namespace: 'default',
            operations: [
              { startWorkflow: start },
              {
                updateWorkflow: {
                  namespace: 'default',
                  workflowExecution: { workflowId: start.workflowId },
                  request: { meta: { updateId: randomUUID() }, input: { name: 'setValue' } },
                  waitPolicy: {
                    lifecycleStage:
                      temporal.api.enums.v1.UpdateWorkflowExecutionLifecycleStage
                        .UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED,
                  },
                },
              },
            ],
          }),
        };
      };
      const stamped = multi();
      await stamped.call;
      expect(await startedIdentity(client, stamped.workflowId)).toEqual({
        subject: 'alice',
        tenant: 'acme',
        capabilities: ['capsule:run', 'capsule:inline'],
      });
      const refused = await refusal(
        multi(identityHeader({ subject: 'mallory', tenant: 'acme', capabilities: [] })).call,
      );
      expect(refused.code).toBe(PERMISSION_DENIED);
      expect(refused.details).toContain(
        `operations[0].startWorkflow.header.fields["${IDENTITY_HEADER}"].subject`,
      );
    });

    it('is stamped on the start action of a created schedule', async () => {
      const client = await clientWith(await token(claims));
      const scheduleId = `auth-schedule-${uniqueSuffix()}`;
      const handle = await client.schedule.create({
        scheduleId,
        spec: { intervals: [{ every: '1h' }] },
        action: {
          type: 'startWorkflow',
          workflowType: 'echoWorkflow',
          taskQueue: 'auth-idle',
          args: [{ value: 'x' }],
        },
      });
      const raw = await client.workflowService.describeSchedule({ namespace: 'default', scheduleId });
      const payload = raw.schedule?.action?.startWorkflow?.header?.fields?.[IDENTITY_HEADER];
      expect(payload && defaultPayloadConverter.fromPayload(payload)).toEqual({
        subject: 'alice',
        tenant: 'acme',
        capabilities: ['capsule:run', 'capsule:inline'],
      });
      await handle.delete();
    });
  });
});

describe('devserver with auth off', () => {
  let open: DevServer;
  beforeAll(async () => {
    open = await startDevServer({ port: 0 });
  });
  afterAll(async () => {
    await open?.stop();
  });

  it('takes calls without a token and leaves headers untouched', async () => {
    const client = await clientWith(undefined, open.address);
    const bare = startRequest();
    await client.workflowService.startWorkflowExecution(bare);
    expect(await startedIdentity(client, bare.workflowId)).toBeUndefined();
    const identity = { subject: 'anyone', tenant: 'globex', capabilities: ['tenant:any'] };
    const claimed = startRequest({ header: identityHeader(identity) });
    await client.workflowService.startWorkflowExecution(claimed);
    expect(await startedIdentity(client, claimed.workflowId)).toEqual(identity);
    const listed = await client.workflowService.listNamespaces({});
    expect(listed.namespaces?.length).toBeGreaterThan(0);
  });
});
