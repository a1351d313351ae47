import { randomUUID } from 'node:crypto';
import { credentials, loadPackageDefinition, type ServiceClientConstructor, status } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { createCapsuleRegistry } from '../../../capsules';
import { createJwtVerifier } from '../../../services/auth';
import {
  CAPSULE_SERVICE_NAME,
  createCapsuleClient,
  createTenantLimits,
  GatewayCallError,
  type RunningGateway,
  startGatewayServer,
  type WatchEvent,
} from '../../../services/gateway';
import { createLogger } from '../../../services/logger';
import { publishLibrary } from '../../../services/platform/publish-library';
import { startBehavingModel, type BehavingModel } from '../../support/fake-slm';
import { reviewApprovalId } from '../../../workflows/shared/identity';
import { behavingModelEnv, startRuntimeHarness, type RuntimeHarness } from '../../fixtures/runtime/harness';

// The gateway as a service in another language would use it: real gRPC over a socket to the
// gateway, which runs capsules on the devserver through a real worker, with tokens signed by a
// key the gateway trusts (and by one it does not).

jest.setTimeout(300_000);

const KEY = 'sk-gateway-behaving-0123456789';
const ISSUER = 'somagent-test';
const AUDIENCE = 'somagent-gateway';
const TRANSCRIPT = `Launch sync — 12 November
Priya: Decision: we ship the default constitution as is.
Marco: I'll update the pricing page by Friday.`;
const SUMMARY = 'meetings.transcript-summary@^1';
const SUMMARY_FILES = [{ path: 'meetings/transcript.txt', content: TRANSCRIPT }];

let model: BehavingModel;
let h: RuntimeHarness;
let gateway: RunningGateway;
type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
let signingKey: PrivateKey;
let foreignKey: PrivateKey;
let publicJwk: JWK;

async function token(
  claims: {
    tenant?: string;
    scope?: string;
    sub?: string;
    aud?: string;
    expiresIn?: string;
    approval?: string;
  },
  key: PrivateKey = signingKey,
): Promise<string> {
  const { tenant = 'acme', scope = 'capsule:run capsule:read capsule:approve', sub = 'svc-billing' } = claims;
  return new SignJWT({
    ...(tenant ? { tenant } : {}),
    scope,
    ...(claims.approval ? { approval: claims.approval } : {}),
  })
    .setProtectedHeader({ alg: 'EdDSA', kid: 'gateway-test' })
    .setIssuer(ISSUER)
    .setAudience(claims.aud ?? AUDIENCE)
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(claims.expiresIn ?? '10m')
    .sign(key);
}

function clientFor(jwt: string | (() => Promise<string>), address = gateway.address) {
  return createCapsuleClient({ address, token: jwt });
}

async function refusal(promise: Promise<unknown>): Promise<GatewayCallError> {
  const outcome = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(outcome instanceof GatewayCallError))
    throw new Error(`expected a refused call, got ${String(outcome)}`);
  return outcome;
}

async function collect(events: AsyncIterable<WatchEvent>, until?: (e: WatchEvent) => boolean) {
  const seen: WatchEvent[] = [];
  for await (const event of events) {
    seen.push(event);
    if (until?.(event)) break;
  }
  return seen;
}

/** A gateway on this file's devserver and worker, with the given tenant limits. */
function serveGateway(
  limits: { ratePerSecond: number; burst: number; maxConcurrent: number },
  taskQueue = h.taskQueue,
): Promise<RunningGateway> {
  return startGatewayServer(
    {
      client: h.client,
      pool: h.store.pool,
      registry: createCapsuleRegistry({ pool: h.store.pool }),
      verifier: createJwtVerifier({ jwks: { keys: [publicJwk] }, issuer: ISSUER, audience: AUDIENCE }),
      limits: createTenantLimits({ redis: h.redis, ...limits }),
      taskQueue,
      logger: createLogger({ level: 'silent' }),
      maxMessageBytes: 256 * 1024,
      watchPollMs: 100,
    },
    { host: '127.0.0.1', port: 0 },
  );
}

beforeAll(async () => {
  model = await startBehavingModel({ apiKey: KEY });
  const pair = await generateKeyPair('EdDSA', { extractable: true });
  signingKey = pair.privateKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'gateway-test', alg: 'EdDSA' };
  // Strict identity: every run needs the caller the gateway forwards, every approval and review
  // the approver's token, checked by the worker against the same identity provider's key.
  h = await startRuntimeHarness('gateway_e2e', {
    constitution: 'default',
    env: {
      ...behavingModelEnv(model, KEY),
      IDENTITY_MODE: 'strict',
      AUTH_JWKS: JSON.stringify({ keys: [publicJwk] }),
      AUTH_ISSUER: ISSUER,
      AUTH_AUDIENCE: AUDIENCE,
    },
  });
  await publishLibrary(h.store.pool, { snapshotTenants: ['acme'] });
  foreignKey = (await generateKeyPair('EdDSA')).privateKey;
  gateway = await serveGateway({ ratePerSecond: 1000, burst: 1000, maxConcurrent: 500 });
});
afterAll(async () => {
  await gateway?.close(1000);
  await h?.close();
  await model?.close();
});

describe('StartCapsuleRun and WatchCapsuleRun', () => {
  let events: WatchEvent[];
  let started: { workflowId: string; runId: string; capsuleVersion: string };
  const requestId = `req-${randomUUID()}`;

  beforeAll(async () => {
    const client = clientFor(await token({}));
    started = await client.startRun({
      capsule: SUMMARY,
      params: { meetingTitle: 'Launch sync' },
      files: SUMMARY_FILES,
      requestId,
    });
    events = await collect(client.watch(started.workflowId));
    client.close();
  });

  it('a retried request id returns the same run, never a second one', async () => {
    const client = clientFor(await token({}));
    const again = await client.startRun({
      capsule: SUMMARY,
      params: { meetingTitle: 'Launch sync' },
      files: SUMMARY_FILES,
      requestId,
    });
    expect(again).toEqual(started);
    const listed = await client.listRuns({ capsuleId: 'meetings.transcript-summary' });
    expect(listed.runs.filter((r) => r.workflowId === started.workflowId)).toHaveLength(1);
    // The same id for a different request is refused, not answered with the other run.
    const reused = await refusal(
      client.startRun({
        capsule: SUMMARY,
        params: { meetingTitle: 'Other' },
        files: SUMMARY_FILES,
        requestId,
      }),
    );
    expect(reused.codeName).toBe('ALREADY_EXISTS');
    expect(reused.field).toBe('request_id');
    client.close();
  });

  it('the watch stream sees every step, the gate decisions with contributions, usage, and ends with the result', () => {
    const steps = events.flatMap((e) => (e.kind === 'step' ? [`${e.step.stepId}:${e.step.state}`] : []));
    expect(steps).toEqual([
      'extract:running',
      'extract:succeeded',
      'write-summary:running',
      'write-summary:succeeded',
    ]);
    const decisions = events.flatMap((e) => (e.kind === 'gateDecision' ? [e.gateDecision] : []));
    expect(decisions.length).toBeGreaterThan(0);
    expect(
      decisions.every(
        (d) => d.workflowId === started.workflowId || d.workflowId.startsWith(`${started.workflowId}.`),
      ),
    ).toBe(true);
    expect(decisions.some((d) => d.workflowId.startsWith(`${started.workflowId}.`))).toBe(true);
    const allowed = decisions.find((d) => d.decision === 'allow')!;
    expect(allowed.contributions.length).toBeGreaterThan(0);
    expect(allowed.score).toBeCloseTo(
      allowed.contributions.reduce((sum, c) => sum + c.product, 0),
      6,
    );
    expect(allowed.constitutionHash).toMatch(/^sha256:/);
    const usage = events.flatMap((e) => (e.kind === 'usage' ? [e.usage] : []));
    expect(usage.length).toBeGreaterThan(0);
    expect(usage.at(-1)!.totalTokens).toBeGreaterThan(0);
    const last = events.at(-1)!;
    expect(last.kind).toBe('finished');
    if (last.kind !== 'finished') return;
    expect(last.finished.status).toBe('COMPLETED');
    expect(last.finished.result).toMatchObject({ status: 'completed' });
    expect((last.finished.result as { usage: { totalTokens: number } }).usage.totalTokens).toBe(
      usage.at(-1)!.totalTokens,
    );
    // Cursors only move forward.
    const cursors = events.map((e) => e.cursor);
    expect(new Set(cursors).size).toBeGreaterThan(1);
  });

  it('a watcher that reconnects with a cursor gets exactly the events after it', async () => {
    const client = clientFor(await token({}));
    const cut = Math.floor(events.length / 2);
    const resumed = await collect(client.watch(started.workflowId, { cursor: events[cut - 1]!.cursor }));
    // Nothing missed, nothing twice: the run's events and the gate's decisions each in their own
    // order. How the two logs interleave depends on when each was read (a live watcher gets a
    // decision once it has settled, a resumed one after a closed run gets them after the events),
    // so the cursors, which name a position in both logs, are compared per log.
    const perLog = (list: WatchEvent[]) => {
      const rest = list.map(({ time: _time, cursor: _cursor, ...body }) => body);
      return {
        decisions: rest.filter((e) => e.kind === 'gateDecision'),
        events: rest.filter((e) => e.kind !== 'gateDecision'),
      };
    };
    expect(perLog(resumed.slice(0, -1))).toEqual(perLog(events.slice(cut, -1)));
    expect(resumed.at(-1)!.kind).toBe('finished');
    const bad = await refusal(collect(client.watch(started.workflowId, { cursor: 'not-a-cursor' })));
    expect(bad.codeName).toBe('INVALID_ARGUMENT');
    client.close();
  });

  it('GetCapsuleRun and ListCapsuleRuns show the closed run with its steps and result', async () => {
    const client = clientFor(await token({ scope: 'capsule:read' }));
    const view = await client.getRun(started.workflowId);
    expect(view.run).toMatchObject({
      workflowId: started.workflowId,
      capsuleId: 'meetings.transcript-summary',
      capsuleVersion: started.capsuleVersion,
      tenant: 'acme',
      trigger: 'api',
      status: 'COMPLETED',
    });
    expect(view.phase).toBe('completed');
    expect(view.steps.map((s) => [s.id, s.state])).toEqual([
      ['extract', 'succeeded'],
      ['write-summary', 'succeeded'],
    ]);
    expect(view.result).toMatchObject({ status: 'completed' });
    const completed = await client.listRuns({ status: 'COMPLETED', trigger: 'api' });
    expect(completed.runs.map((r) => r.workflowId)).toContain(started.workflowId);
    const running = await client.listRuns({ status: 'RUNNING', capsuleId: 'meetings.transcript-summary' });
    expect(running.runs.map((r) => r.workflowId)).not.toContain(started.workflowId);
    client.close();
  });

  it("a second tenant neither sees nor steers the first tenant's run", async () => {
    const other = clientFor(await token({ tenant: 'globex' }));
    for (const attempt of [
      other.getRun(started.workflowId),
      other.cancel(started.workflowId),
      other.approve(started.workflowId, 'x'),
      collect(other.watch(started.workflowId)),
    ]) {
      const refused = await refusal(attempt);
      expect(refused.codeName).toBe('NOT_FOUND');
      expect(refused.message).toContain('globex');
    }
    const listed = await other.listRuns({});
    expect(listed.runs.map((r) => r.workflowId)).not.toContain(started.workflowId);
    const foreign = await refusal(other.startRun({ capsule: SUMMARY, tenant: 'acme', files: SUMMARY_FILES }));
    expect(foreign.codeName).toBe('PERMISSION_DENIED');
    expect(foreign.field).toBe('tenant');
    other.close();
  });
});

describe('identity', () => {
  const cases: Array<[string, string, RegExp, () => Promise<string>]> = [
    ['an expired token', 'UNAUTHENTICATED', /expired/, () => token({ expiresIn: '-5m' })],
    ['a forged token', 'UNAUTHENTICATED', /untrusted key|signature/, () => token({}, foreignKey)],
    ['a wrong audience', 'UNAUTHENTICATED', /"aud"/, () => token({ aud: 'someone-else' })],
    ['no tenant claim', 'UNAUTHENTICATED', /"tenant"/, () => token({ tenant: '' })],
    ['a missing capability', 'PERMISSION_DENIED', /capsule:run/, () => token({ scope: 'capsule:read' })],
    ['no token at all', 'UNAUTHENTICATED', /bearer token|Bearer/, () => Promise.resolve('')],
  ];
  it.each(cases)('%s is refused with %s', async (_name, code, message, jwt) => {
    const client = clientFor(await jwt());
    const before = await h.client.workflow.count(`WorkflowType = 'capsuleWorkflow'`);
    const refused = await refusal(client.startRun({ capsule: SUMMARY, files: SUMMARY_FILES }));
    expect(refused.codeName).toBe(code);
    expect(refused.message).toMatch(message);
    expect(refused.message).not.toMatch(/\bat .*\.ts:\d+/);
    expect((await h.client.workflow.count(`WorkflowType = 'capsuleWorkflow'`)).count).toBe(before.count);
    client.close();
  });
});

describe('bad input starts nothing and names the field', () => {
  it.each([
    ['an unknown capsule', { capsule: 'no.such-capsule@^1' }, 'NOT_FOUND', 'capsule'],
    ['a malformed reference', { capsule: 'meetings.transcript-summary' }, 'INVALID_ARGUMENT', 'capsule'],
    [
      'a parameter outside its schema',
      { capsule: SUMMARY, params: { maxActionItems: 500 } },
      'INVALID_ARGUMENT',
      'params.maxActionItems',
    ],
    [
      'an unknown parameter',
      { capsule: SUMMARY, params: { meetingTitel: 'x' } },
      'INVALID_ARGUMENT',
      'params.meetingTitel',
    ],
    [
      'an input file outside the workspace',
      { capsule: SUMMARY, files: [{ path: '../etc/passwd', content: 'x' }] },
      'INVALID_ARGUMENT',
      'files.0.path',
    ],
  ])('%s', async (_name, request, code, field) => {
    const client = clientFor(await token({}));
    const before = await h.client.workflow.count(`WorkflowType = 'capsuleWorkflow'`);
    const refused = await refusal(client.startRun(request));
    expect(refused.codeName).toBe(code);
    expect(refused.field).toBe(field);
    expect((await h.client.workflow.count(`WorkflowType = 'capsuleWorkflow'`)).count).toBe(before.count);
    client.close();
  });

  it('an oversized message is refused before it reaches a handler', async () => {
    const client = clientFor(await token({}));
    const refused = await refusal(
      client.startRun({ capsule: SUMMARY, files: [{ path: 'big.txt', content: 'x'.repeat(300 * 1024) }] }),
    );
    expect(refused.codeName).toBe('RESOURCE_EXHAUSTED');
    expect(refused.message).toMatch(/larger than max/);
    client.close();
  });
});

describe('steering over gRPC', () => {
  it('approve and review over gRPC unblock a waiting run', async () => {
    const client = clientFor(await token({ sub: 'maintainers' }));
    const started = await client.startRun({
      capsule: 'support.issue-triage@^1',
      params: {
        repository: 'acme/widgets',
        issueNumber: 7,
        issueTitle: 'Crash on save',
        issueBody: 'It crashes.',
      },
    });
    const decided: string[] = [];
    const events: WatchEvent[] = [];
    for await (const event of client.watch(started.workflowId)) {
      events.push(event);
      if (event.kind === 'approval' && event.approval.state === 'requested') {
        const approvalId = event.approval.approval.approvalId;
        await client.approve(started.workflowId, approvalId, {
          comment: 'ok',
          approvalToken: await token({ sub: 'lead@acme', approval: approvalId }),
        });
        decided.push(`approval:${approvalId}`);
      }
      if (event.kind === 'step' && event.step.state === 'awaiting_review') {
        const reviewId = reviewApprovalId(started.workflowId, event.step.stepId);
        // A token signed by another key, and no token at all, are refused by the run, and the
        // gateway says why; the step keeps waiting for a review that holds.
        const forged = await refusal(
          client.review(started.workflowId, event.step.stepId, {
            approvalToken: await token({ sub: 'mallory', approval: reviewId }, foreignKey),
          }),
        );
        expect(forged.codeName).toBe('PERMISSION_DENIED');
        expect(forged.message).toContain('the run refused the decision: approval token refused');
        const unsigned = await refusal(client.review(started.workflowId, event.step.stepId));
        expect(unsigned.message).toContain('an unsigned review is refused');
        // The caller's own bearer token is the proof when it names this review.
        const reviewer = clientFor(await token({ sub: 'maintainers', approval: reviewId }));
        await reviewer.review(started.workflowId, event.step.stepId, { comment: 'labels fine' });
        reviewer.close();
        decided.push(`review:${event.step.stepId}`);
      }
    }
    expect(decided.some((d) => d.startsWith('review:'))).toBe(true);
    const last = events.at(-1)!;
    expect(last.kind === 'finished' && last.finished.status).toBe('COMPLETED');
    const approvedStates = events.flatMap((e) => (e.kind === 'approval' ? [e.approval.state] : []));
    // Approvals and reviews alike are reported once the run has verified and applied them.
    expect(approvedStates.filter((s) => s === 'approved')).toHaveLength(decided.length);
    client.close();
  });

  it('cancel over gRPC ends a waiting run Cancelled; approving a missing approval names what is pending', async () => {
    const client = clientFor(await token({ sub: 'maintainers' }));
    const started = await client.startRun({
      capsule: 'support.issue-triage@^1',
      params: { repository: 'acme/widgets', issueNumber: 8, issueTitle: 'Slow', issueBody: 'It is slow.' },
    });
    const events: WatchEvent[] = [];
    for await (const event of client.watch(started.workflowId)) {
      events.push(event);
      if (
        (event.kind === 'approval' && event.approval.state === 'requested') ||
        (event.kind === 'step' && event.step.state === 'awaiting_review')
      ) {
        const wrong = await refusal(client.approve(started.workflowId, 'no-such-approval'));
        expect(wrong.codeName).toBe('FAILED_PRECONDITION');
        await client.cancel(started.workflowId, 'not needed');
      }
    }
    const last = events.at(-1)!;
    expect(last.kind).toBe('finished');
    if (last.kind !== 'finished') return;
    expect(['CANCELED', 'FAILED']).toContain(last.finished.status);
    expect(last.finished.result).toMatchObject({ status: 'cancelled' });
    const again = await refusal(client.cancel(started.workflowId));
    expect(again.codeName).toBe('FAILED_PRECONDITION');
    client.close();
  });
});

describe('tenant limits', () => {
  it('over the rate a tenant is answered RESOURCE_EXHAUSTED with a retry delay; other tenants are not', async () => {
    const limited = await serveGateway({ ratePerSecond: 0.5, burst: 3, maxConcurrent: 10 });
    const tenant = `rate-${randomUUID().slice(0, 8)}`;
    const client = clientFor(await token({ tenant }), limited.address);
    for (let i = 0; i < 3; i++) await client.listRuns({});
    const refused = await refusal(client.listRuns({}));
    expect(refused.codeName).toBe('RESOURCE_EXHAUSTED');
    expect(refused.message).toContain(tenant);
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(2000);
    const neighbour = clientFor(await token({ tenant: `${tenant}-b` }), limited.address);
    await expect(neighbour.listRuns({})).resolves.toMatchObject({ runs: [] });
    client.close();
    neighbour.close();
    await limited.close(1000);
  });

  it('over its concurrency cap a tenant is answered RESOURCE_EXHAUSTED until an open stream closes', async () => {
    // No worker polls its task queue: the run stays open, and so does its watch stream.
    const capped = await serveGateway(
      { ratePerSecond: 1000, burst: 1000, maxConcurrent: 1 },
      `idle-${randomUUID().slice(0, 8)}`,
    );
    const tenant = `cap-${randomUUID().slice(0, 8)}`;
    const client = clientFor(await token({ tenant }), capped.address);
    const run = await client.startRun({ capsule: SUMMARY, files: SUMMARY_FILES });
    const abort = new AbortController();
    const watching = collect(client.watch(run.workflowId, { signal: abort.signal }));
    // The stream is admitted once the gateway has read the run's first events.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const refused = await refusal(client.getRun(run.workflowId));
    expect(refused.codeName).toBe('RESOURCE_EXHAUSTED');
    expect(refused.message).toMatch(/1 calls or streams open/);
    abort.abort();
    await watching;
    await new Promise((resolve) => setTimeout(resolve, 200));
    await expect(client.getRun(run.workflowId)).resolves.toMatchObject({ run: { status: 'RUNNING' } });
    await h.client.workflow.getHandle(run.workflowId).terminate('test over');
    client.close();
    await capped.close(1000);
  });
});

describe('health and reflection', () => {
  it('answers the standard health check, per service and overall', async () => {
    const pkg = loadPackageDefinition(loadSync(healthProtoPath, { enums: String })) as unknown as {
      grpc: { health: { v1: { Health: ServiceClientConstructor } } };
    };
    const health = new pkg.grpc.health.v1.Health(
      gateway.address,
      credentials.createInsecure(),
    ) as unknown as {
      check(req: { service: string }, cb: (err: Error | null, res: { status: string }) => void): void;
      close(): void;
    };
    const check = (service: string) =>
      new Promise<string>((resolve, reject) =>
        health.check({ service }, (err, res) => (err ? reject(err) : resolve(res.status))),
      );
    await expect(check('')).resolves.toBe('SERVING');
    await expect(check(CAPSULE_SERVICE_NAME)).resolves.toBe('SERVING');
    await expect(check('no.such.Service')).rejects.toMatchObject({ code: status.NOT_FOUND });
    health.close();
  });

  it('lists and describes CapsuleService through server reflection', async () => {
    const pkg = loadPackageDefinition(
      loadSync(require.resolve('@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto'), {
        keepCase: false,
      }),
    ) as unknown as { grpc: { reflection: { v1: { ServerReflection: ServiceClientConstructor } } } };
    const reflection = new pkg.grpc.reflection.v1.ServerReflection(
      gateway.address,
      credentials.createInsecure(),
    ) as unknown as {
      serverReflectionInfo(): NodeJS.ReadWriteStream & { write(req: unknown): boolean; end(): void };
      close(): void;
    };
    const stream = reflection.serverReflectionInfo();
    const answers: Array<{
      listServicesResponse?: { service: Array<{ name: string }> };
      fileDescriptorResponse?: { fileDescriptorProto: Buffer[] };
    }> = [];
    const done = new Promise<void>((resolve, reject) => {
      stream.on('data', (a: (typeof answers)[number]) => answers.push(a));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    stream.write({ listServices: '' });
    stream.write({ fileContainingSymbol: CAPSULE_SERVICE_NAME });
    stream.end();
    await done;
    reflection.close();
    expect(answers[0]!.listServicesResponse!.service.map((s) => s.name)).toContain(CAPSULE_SERVICE_NAME);
    const files = answers[1]!.fileDescriptorResponse!.fileDescriptorProto.map((b) =>
      Buffer.from(b).toString('latin1'),
    );
    expect(files.some((f) => f.includes('StartCapsuleRun') && f.includes('WatchCapsuleRun'))).toBe(true);
  });
});
