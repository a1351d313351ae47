import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WorkflowFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { SignJWT } from 'jose';
import type { Capsule } from '../../../capsules/capsule-schema';
import { BUILTIN_LIBRARY_DIR, loadLibrary } from '../../../capsules/library-loader';
import { createCapsuleRegistry } from '../../../capsules/registry/registry-store';
import { asCaller, identityForwardingClient } from '../../../services/identity';
import { awaitApprovalVerdict, eventLogLength } from '../../../services/runs/approval-verdict';
import { forecastApprovalId } from '../../../workflows/capsule';
import { approveSignal, statusQuery } from '../../../workflows/shared/definitions';
import type { RunIdentity } from '../../../workflows/shared/identity';
import { IDENTITY_HEADER } from '../../../workflows/shared/identity';
import type { CapsuleRunResult } from '../../../workflows/shared/types';
import { runSomagent } from '../../support/cli';
import { rejectionOf, waitFor } from '../../support/devserver';
import { scriptStepApprovalReplies, stepApprovalCapsule } from '../../fixtures/runtime/graph-capsules';
import { startRuntimeHarness, type RuntimeHarness } from '../../fixtures/runtime/harness';
import { personaInput } from '../../fixtures/runtime/persona-input';

// Identity end to end in strict mode: the tenant of a run comes from its verified caller, inline
// capsules need capsule:inline, and approvals apply only with the approver's valid signed token.
jest.setTimeout(120_000);

const issuer = 'somagent';
const audience = 'somagent';
const trusted = generateKeyPairSync('ed25519');
const stranger = generateKeyPairSync('ed25519');

let h: RuntimeHarness;
let runs: Client;
let costly: Capsule;
let summary: Capsule;

beforeAll(async () => {
  h = await startRuntimeHarness('runtime_identity', {
    env: {
      IDENTITY_MODE: 'strict',
      AUTH_PUBLIC_KEY: trusted.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    },
  });
  runs = identityForwardingClient(h.client);
  const library = await loadLibrary([BUILTIN_LIBRARY_DIR]);
  const registry = createCapsuleRegistry({ pool: h.store.pool });
  await registry.publishPersona(library.personas.find((p) => p.value.id === 'scribe')!.value);
  summary = library.capsules.find((c) => c.value.id === 'meetings.transcript-summary')!.value;
  // Every run of this capsule waits for a human before its first step.
  costly = { ...summary, id: 'meetings.costly', budget: { ...summary.budget, approvalLimitUsd: 0 } };
  await registry.publishCapsule(costly);
});
afterAll(async () => {
  await h?.close();
});

const alice: RunIdentity = { subject: 'alice@acme', tenant: 'acme', capabilities: ['capsule:run'] };

function start(label: string, input: Record<string, unknown>, caller?: RunIdentity, workflowId?: string) {
  const go = () =>
    runs.workflow.start('capsuleWorkflow', {
      taskQueue: h.taskQueue,
      workflowId: workflowId ?? h.devserver.workflowId(label),
      args: [input],
    });
  return caller ? asCaller(caller, go) : go();
}

async function failureOf(handle: WorkflowHandle): Promise<ApplicationFailure> {
  const err = await rejectionOf(handle.result());
  expect(err).toBeInstanceOf(WorkflowFailedError);
  return (err as WorkflowFailedError).cause as ApplicationFailure;
}

async function auditOf(workflowId: string, typePrefix: string) {
  const { rows } = await h.store.pool.query<{ type: string; tenant: string; data: Record<string, unknown> }>(
    `SELECT envelope->>'type' AS type, envelope->>'tenant' AS tenant, envelope->'data' AS data
       FROM outbox WHERE key = $1 AND envelope->>'type' LIKE $2 ORDER BY seq`,
    [workflowId, `${typePrefix}%`],
  );
  return rows;
}

interface TokenSpec {
  approval: string;
  tenant?: string;
  scope?: string;
  sub?: string;
  expiresIn?: string | number;
  key?: KeyObject;
  decision?: 'approve' | 'reject';
}

function approvalToken(spec: TokenSpec): Promise<string> {
  return new SignJWT({
    tenant: spec.tenant ?? 'acme',
    scope: spec.scope ?? 'capsule:approve',
    approval: spec.approval,
    ...(spec.decision ? { decision: spec.decision } : {}),
  })
    .setProtectedHeader({ alg: 'EdDSA' })
    .setIssuer(issuer)
    .setAudience(audience)
    .setSubject(spec.sub ?? 'cfo@acme')
    .setIssuedAt()
    .setExpirationTime(spec.expiresIn ?? '5m')
    .sign(spec.key ?? trusted.privateKey);
}

async function awaitingApproval(handle: WorkflowHandle) {
  await waitFor(
    'the run to wait for approval',
    async () => (await handle.query(statusQuery)).phase === 'awaiting_approval',
    60_000,
  );
}

/** Sends a decision and waits for the run's verdict on it. */
async function decide(handle: WorkflowHandle, decision: { approved: boolean; token?: string; by?: string }) {
  const approvalId = forecastApprovalId(handle.workflowId);
  const after = await eventLogLength(handle);
  await handle.signal(approveSignal, { approvalId, ...decision });
  return awaitApprovalVerdict(handle, approvalId, after, { waitMs: 30_000 });
}

describe('the tenant of a run comes from its verified caller', () => {
  it('refuses a root run without a verified caller in strict mode, audited', async () => {
    const handle = await start('anonymous', { capsule: `${costly.id}@^1`, tenant: 'acme' });
    const failure = await failureOf(handle);
    expect(failure).toMatchObject({ type: 'RunUnauthorized', nonRetryable: true });
    expect(failure.message).toContain('no verified caller');
    expect(await auditOf(handle.workflowId, 'run.')).toEqual([
      expect.objectContaining({ type: 'run.refused', data: expect.objectContaining({ mode: 'strict' }) }),
    ]);
    await h.replay(handle);
  });

  it('refuses a start whose input names another tenant than the caller', async () => {
    const handle = await start('spoofed', { capsule: `${costly.id}@^1`, tenant: 'globex' }, alice);
    const failure = await failureOf(handle);
    expect(failure.type).toBe('RunUnauthorized');
    expect(failure.message).toContain('input.tenant "globex" is not the caller\'s tenant');
    expect(failure.message).toContain('"acme"');
    const [refused] = await auditOf(handle.workflowId, 'run.');
    expect(refused).toMatchObject({ type: 'run.refused', data: { caller: 'alice@acme' } });
  });

  it("runs for the caller's tenant when the input names none, with the subject in the audit", async () => {
    const handle = await start('own-tenant', { capsule: `${costly.id}@^1` }, alice);
    await awaitingApproval(handle);
    expect(await handle.query(statusQuery)).toMatchObject({ tenant: 'acme' });
    expect(await auditOf(handle.workflowId, 'run.')).toEqual([
      {
        type: 'run.authorized',
        tenant: 'acme',
        data: expect.objectContaining({ subject: 'alice@acme', verified: true, inline: false }),
      },
    ]);
    await handle.terminate('test done');
  });

  it('lets an operator without a tenant claim name a tenant only with tenant:any', async () => {
    const operator = { subject: 'ops@platform', capabilities: ['capsule:run'] };
    const refused = await start('operator', { capsule: `${costly.id}@^1`, tenant: 'acme' }, operator);
    expect((await failureOf(refused)).message).toContain('has no tenant claim');
    const allowed = await start(
      'operator-any',
      { capsule: `${costly.id}@^1`, tenant: 'acme' },
      { ...operator, capabilities: ['capsule:run', 'tenant:any'] },
    );
    await awaitingApproval(allowed);
    await allowed.terminate('test done');
  });

  it('needs capsule:inline for an inline capsule, and records the inline start', async () => {
    const inline = { ...costly, id: 'meetings.inline' };
    const refused = await start('inline-refused', { capsule: inline }, alice);
    const failure = await failureOf(refused);
    expect(failure.type).toBe('RunUnauthorized');
    expect(failure.message).toContain('capsule:inline');
    const allowed = await start(
      'inline-allowed',
      { capsule: inline },
      {
        ...alice,
        capabilities: ['capsule:run', 'capsule:inline'],
      },
    );
    await awaitingApproval(allowed);
    expect(await auditOf(allowed.workflowId, 'run.')).toEqual([
      expect.objectContaining({
        type: 'run.authorized',
        data: expect.objectContaining({ inline: true, capsule: 'inline' }),
      }),
    ]);
    await allowed.terminate('test done');
  });

  it('refuses a persona started by a client for another tenant than its caller', async () => {
    const workflowId = h.devserver.workflowId('persona-spoofed');
    const handle = await asCaller(alice, () =>
      runs.workflow.start('personaWorkflow', {
        taskQueue: h.taskQueue,
        workflowId,
        args: [{ ...personaInput(workflowId), tenant: 'globex' }],
      }),
    );
    const failure = await failureOf(handle);
    expect(failure.type).toBe('RunUnauthorized');
    expect(failure.message).toContain('input.tenant "globex" is not the caller\'s tenant');
    // Refused before anything ran: no model call, no gate decision.
    expect(await h.gateDecisions(workflowId)).toEqual([]);
  });

  it('accepts a plan in the input only from a parent run', async () => {
    const handle = await start(
      'plan-from-client',
      { capsule: `${costly.id}@^1`, plan: { steps: [] } },
      alice,
    );
    const failure = await failureOf(handle);
    expect(failure.type).toBe('RunUnauthorized');
    expect(failure.message).toContain('input.plan and input.parent are set by a parent capsule run only');
  });
});

describe('approvals carry proof', () => {
  let handle: WorkflowHandle;
  const approval = () => forecastApprovalId(handle.workflowId);

  beforeAll(async () => {
    handle = await start('approvals', { capsule: `${costly.id}@^1` }, alice);
    await awaitingApproval(handle);
  });

  it.each<[string, () => Promise<string | undefined>, string]>([
    ['unsigned', () => Promise.resolve(undefined), 'an unsigned approval is refused'],
    ['forged', () => approvalToken({ approval: approval(), key: stranger.privateKey }), 'signature'],
    [
      'expired',
      () => approvalToken({ approval: approval(), expiresIn: Math.floor(Date.now() / 1000) - 120 }),
      'expired',
    ],
    ['other-tenant', () => approvalToken({ approval: approval(), tenant: 'globex' }), 'tenant "globex"'],
    [
      'missing capability',
      () => approvalToken({ approval: approval(), scope: 'capsule:read' }),
      'lacks the capability "capsule:approve"',
    ],
    [
      'another approval',
      () => approvalToken({ approval: 'someone-else:forecast' }),
      'decides "someone-else:forecast"',
    ],
    [
      'other decision',
      () => approvalToken({ approval: approval(), decision: 'approve' }),
      'allows "approve", not "reject"',
    ],
  ])('refuses a %s approval and the run keeps waiting', async (_case, token, reason) => {
    const signed = await token();
    const verdict = await decide(handle, {
      approved: false,
      by: 'cfo',
      ...(signed ? { token: signed } : {}),
    });
    expect(verdict).toEqual({ outcome: 'refused', reason: expect.stringContaining(reason) });
    const status = await handle.query(statusQuery);
    expect(status.phase).toBe('awaiting_approval');
    expect(status.pendingApprovals.map((a) => a.approvalId)).toEqual([approval()]);
  });

  it('somagent approve --token-file forwards the token, finds the approval in it and reports a refusal', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'somagent-approve-'));
    const saved = { ...process.env };
    Object.assign(process.env, {
      DATABASE_URL: h.store.url,
      TEMPORAL_ADDRESS: h.devserver.address,
      TEMPORAL_NAMESPACE: h.devserver.namespace,
    });
    try {
      const notAToken = path.join(dir, 'garbage.txt');
      await writeFile(notAToken, 'hello');
      await expect(runSomagent('approve', handle.workflowId, '--token-file', notAToken)).rejects.toThrow(
        `--token-file ${notAToken}: expected one compact JWS`,
      );
      const forged = path.join(dir, 'forged.jws');
      await writeFile(forged, `${await approvalToken({ approval: approval(), key: stranger.privateKey })}\n`);
      await expect(
        runSomagent('approve', handle.workflowId, '--reject', '--token-file', forged),
      ).rejects.toThrow('the run refused the decision: approval token refused: token signature is invalid');
    } finally {
      process.env = saved;
      await rm(dir, { recursive: true, force: true });
    }
    expect((await handle.query(statusQuery)).phase).toBe('awaiting_approval');
  });

  it('applies a valid approval with the verified subject, and refuses the same token on a new run', async () => {
    const token = await approvalToken({ approval: approval(), sub: 'cfo@acme', decision: 'reject' });
    // The signal's own "by" is not trusted: the token's subject is recorded.
    expect(await decide(handle, { approved: false, by: 'anyone-can-say-this', token })).toEqual({
      outcome: 'applied',
      by: 'cfo@acme',
      verified: true,
    });
    const failure = await failureOf(handle);
    expect(failure.type).toBe('ApprovalRejected');
    expect(failure.message).toContain('cfo@acme');
    expect(failure.message).not.toContain('anyone-can-say-this');
    const audit = await auditOf(handle.workflowId, 'approval.');
    expect(audit.at(-1)).toMatchObject({
      type: 'approval.verified',
      tenant: 'acme',
      data: { subject: 'cfo@acme', verified: true, approved: false },
    });
    expect(audit.filter((e) => e.type === 'approval.refused')).toHaveLength(8);
    await h.replay(handle);

    // Same workflow id, new run: the approval id repeats, the spent token does not count again.
    const again = await start('approvals-again', { capsule: `${costly.id}@^1` }, alice, handle.workflowId);
    await awaitingApproval(again);
    const verdict = await decide(again, { approved: false, token });
    expect(verdict).toEqual({ outcome: 'refused', reason: expect.stringContaining('already used') });
    expect((await again.query(statusQuery)).phase).toBe('awaiting_approval');
    await again.terminate('test done');
  });
});

describe('an approval a persona waits for', () => {
  beforeAll(async () => {
    // Capsule steps play personas at trust 0.5: a review band from 0.5 puts workspace.write there.
    await h.store.publish(2, { reviewThreshold: 0.5 });
    await h.holder.refreshFromStore();
  });

  it('is verified by the persona that applies it; the child acts for the same caller', async () => {
    scriptStepApprovalReplies(h.openai);
    const handle = await start(
      'persona-approval',
      { capsule: stepApprovalCapsule(summary) },
      {
        ...alice,
        capabilities: ['capsule:run', 'capsule:inline'],
      },
    );
    let pendingId = '';
    await waitFor(
      'the step to wait for approval',
      async () => {
        const [pending] = (await handle.query(statusQuery)).pendingApprovals;
        pendingId = pending?.approvalId ?? '';
        return pending !== undefined;
      },
      60_000,
    );
    const childId = `${handle.workflowId}.note`;
    const started = (await h.devserver.history(h.client.workflow.getHandle(childId)))[0]!;
    const header = started.workflowExecutionStartedEventAttributes?.header?.fields?.[IDENTITY_HEADER];
    expect(JSON.parse(Buffer.from(header!.data!).toString('utf8'))).toEqual({
      ...alice,
      capabilities: ['capsule:run', 'capsule:inline'],
    });

    const send = async (token: string) => {
      const after = await eventLogLength(handle);
      await handle.signal(approveSignal, { approvalId: pendingId, approved: true, token });
      return awaitApprovalVerdict(handle, pendingId, after, { waitMs: 30_000 });
    };
    const forged = await send(await approvalToken({ approval: pendingId, key: stranger.privateKey }));
    expect(forged).toEqual({ outcome: 'refused', reason: expect.stringContaining('signature') });
    expect((await handle.query(statusQuery)).pendingApprovals.map((a) => a.approvalId)).toEqual([pendingId]);

    expect(await send(await approvalToken({ approval: pendingId, sub: 'lead@acme' }))).toEqual({
      outcome: 'applied',
      by: 'lead@acme',
      verified: true,
    });
    const result = (await handle.result()) as CapsuleRunResult;
    expect(result.status).toBe('completed');
    const writes = (await h.gateDecisions(childId)).filter((d) => d.toolId === 'workspace.write');
    expect(writes.at(-1)).toMatchObject({ outcome: 'approved', approvedBy: 'lead@acme' });
    expect((await auditOf(childId, 'approval.')).map((e) => e.type)).toEqual([
      'approval.refused',
      'approval.verified',
    ]);
    await h.replay(handle);
  });
});
