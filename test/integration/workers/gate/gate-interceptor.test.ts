import type { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityExecuteInput } from '@temporalio/worker';
import { Registry } from 'prom-client';
import { canonicalHash, parseActionDescriptor } from '../../../../constitution';
import { parseEnvelope } from '../../../../services/events';
import { createLogger } from '../../../../services/logger';
import { createPool } from '../../../../services/postgres';
import {
  ConstitutionGateInterceptor,
  createConstitutionGate,
  createConstitutionHolder,
  createGateMetrics,
  explainFailClosed,
  recordGateDecision,
  gateDecisionEventId,
  GATE_UNAVAILABLE,
  withGateApproval,
  type ConstitutionGateDeps,
  type ConstitutionHolder,
  type GateActivityInfo,
  type GateMetrics,
} from '../../../../workers/gate';
import { activityInfo, gateContext, headersWith, toolCatalog } from '../../../fixtures/workers/gate';
import { createGateTestStore, type GateTestStore } from './constitution-store';

// Constitution (test/fixtures/constitution/descriptors.ts): S = 0.5·toolRisk + 0.3·writes +
// 0.2·trust with toolRisk {low 1, medium 0.6, high 0.2, critical 0}, θ 0.8, θ_review 0.6.
// With persona trust 0.9: workspace.read 0.98 (allow), workspace.write 0.63 (review),
// http.request GET 0.58 (deny), tool db.prod denied by a hard rule.

const logger = createLogger({ level: 'silent' });
let store: GateTestStore;
let holder: ConstitutionHolder;
let metrics: GateMetrics;
let registry: Registry;
let deps: ConstitutionGateDeps;

beforeAll(async () => {
  store = await createGateTestStore('gate_interceptor');
  await store.publish(1);
  holder = createConstitutionHolder({ pool: store.pool, trustStore: store.trustStore, logger });
  await holder.start();
  registry = new Registry();
  metrics = createGateMetrics(registry);
  deps = { pool: store.pool, holder, logger, metrics, toolCatalog };
});

afterAll(async () => {
  await store.close();
});

/** A `next` that records whether the activity ran. */
function recordingNext(result: unknown = { ok: true }) {
  const calls: ActivityExecuteInput[] = [];
  const next = (input: ActivityExecuteInput) => {
    calls.push(input);
    return Promise.resolve(result);
  };
  return { calls, next };
}

function toolInput(
  info: GateActivityInfo,
  toolId: string,
  args: unknown,
  extraHeaders = {},
): ActivityExecuteInput {
  return {
    args: [{ toolId, arguments: args, context: { tenant: 'acme' } }],
    headers: headersWith(gateContext(info), extraHeaders),
  };
}

async function outboxRows(workflowId: string) {
  const { rows } = await store.pool.query<{ id: string; topic: string; key: string; envelope: unknown }>(
    `SELECT id, topic, key, envelope FROM outbox WHERE envelope->>'type' = 'gate.decision' AND key = $1 ORDER BY seq`,
    [workflowId],
  );
  return rows.map((r) => ({ ...r, envelope: parseEnvelope(r.envelope) }));
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ApplicationFailure) return err;
    throw err;
  }
  throw new Error('expected the gate to fail the activity');
}

describe('constitution gate interceptor', () => {
  it('allows: records the decision in the outbox, then runs the activity', async () => {
    const info = activityInfo();
    const { calls, next } = recordingNext({ content: 'hello' });
    const input = toolInput(info, 'workspace.read', { path: 'notes/today.md' });
    await expect(new ConstitutionGateInterceptor(deps, info).execute(input, next)).resolves.toEqual({
      content: 'hello',
    });
    expect(calls).toEqual([input]);

    const [row, ...more] = await outboxRows(info.workflowExecution!.workflowId);
    expect(more).toHaveLength(0);
    expect(row!.topic).toBe('somagent.audit.v1');
    expect(row!.id).toBe(gateDecisionEventId({ ...info.workflowExecution!, ...info }));
    expect(row!.envelope).toMatchObject({
      type: 'gate.decision',
      source: 'somagent/worker',
      tenant: 'acme',
      subject: info.workflowExecution!.workflowId,
    });
    const data = row!.envelope.data;
    expect(data).toMatchObject({
      decision: 'allow',
      outcome: 'allow',
      score: 0.98,
      threshold: 0.8,
      constitutionHash: holder.hash,
      constitutionVersion: 1,
      activityType: 'executeTool',
      activityId: info.activityId,
      workflowId: info.workflowExecution!.workflowId,
      runId: info.workflowExecution!.runId,
      attempt: 1,
    });
    expect((data.contributions as unknown[]).length).toBe(3);
    // The stored descriptor is a valid x(a) that what-if can re-evaluate.
    expect(parseActionDescriptor(data.descriptor).args.digest).toBe(
      canonicalHash({ path: 'notes/today.md' }),
    );
  });

  it('denies non-retryably with the explanation, after recording, without running the activity', async () => {
    const info = activityInfo();
    const { calls, next } = recordingNext();
    const secret = 'sk-live-abcdef0123456789';
    const failure = await failureOf(
      new ConstitutionGateInterceptor(deps, info).execute(
        toolInput(info, 'http.request', {
          url: 'https://api.example.com/x',
          method: 'GET',
          headers: { authorization: secret },
        }),
        next,
      ),
    );
    expect(calls).toHaveLength(0);
    expect(failure.type).toBe('ConstitutionDenied');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.details?.[0]).toMatchObject({
      decision: 'deny',
      score: 0.58,
      reviewThreshold: 0.6,
      constitutionVersion: 1,
      toolId: 'http.request',
    });
    expect(JSON.stringify(failure.details) + failure.message).not.toContain(secret);

    const rows = await outboxRows(info.workflowExecution!.workflowId);
    expect(rows.map((r) => r.envelope.data.decision)).toEqual(['deny']);
    expect(JSON.stringify(rows[0]!.envelope)).not.toContain(secret);
  });

  it('denies on a hard rule and names it', async () => {
    const info = activityInfo();
    const failure = await failureOf(
      new ConstitutionGateInterceptor({ ...deps, toolCatalog: () => dbProd }, info).execute(
        toolInput(info, 'db.prod', { sql: 'select 1' }),
        recordingNext().next,
      ),
    );
    expect(failure.type).toBe('ConstitutionDenied');
    expect(failure.message).toMatch(/deny rule no-prod-db/);
  });

  it('requires approval in the review band, then runs the same action once it carries the approval', async () => {
    const info = activityInfo();
    const args = { path: 'report.md', content: 'draft' };
    const first = recordingNext();
    const failure = await failureOf(
      new ConstitutionGateInterceptor(deps, info).execute(
        toolInput(info, 'workspace.write', args),
        first.next,
      ),
    );
    expect(first.calls).toHaveLength(0);
    expect(failure.type).toBe('ApprovalRequired');
    expect(failure.nonRetryable).toBe(true);
    const { approvalId, explanation } = failure.details?.[0] as { approvalId: string; explanation: unknown };
    expect(approvalId).toMatch(/^[0-9a-f-]{36}$/);
    expect(explanation).toMatchObject({ decision: 'review', outcome: 'review', score: 0.63 });

    // An approval for other arguments does not cover this action.
    const otherApproval = (
      (
        await failureOf(
          new ConstitutionGateInterceptor(deps, { ...info, activityId: `${info.activityId}-b` }).execute(
            toolInput(info, 'workspace.write', { path: 'other.md', content: 'x' }),
            recordingNext().next,
          ),
        )
      ).details?.[0] as { approvalId: string }
    ).approvalId;
    const wrong = await failureOf(
      new ConstitutionGateInterceptor(deps, { ...info, activityId: `${info.activityId}-c` }).execute(
        toolInput(info, 'workspace.write', args, withGateApproval({}, { approvalId: otherApproval })),
        recordingNext().next,
      ),
    );
    expect(wrong.type).toBe('ApprovalRequired');

    // The workflow re-schedules the action (new activity id) with the approval header.
    const retried = { ...info, activityId: `${info.activityId}-r` };
    const second = recordingNext('written');
    await expect(
      new ConstitutionGateInterceptor(deps, retried).execute(
        toolInput(info, 'workspace.write', args, withGateApproval({}, { approvalId, approvedBy: 'lead' })),
        second.next,
      ),
    ).resolves.toBe('written');
    expect(second.calls).toHaveLength(1);

    const rows = await outboxRows(info.workflowExecution!.workflowId);
    expect(rows.map((r) => [r.envelope.data.decision, r.envelope.data.outcome])).toEqual([
      ['review', 'review'],
      ['review', 'review'],
      ['review', 'review'],
      ['review', 'approved'],
    ]);
    expect(rows[3]!.envelope.data).toMatchObject({ approvalId, approvedBy: 'lead' });
    expect(rows[0]!.envelope.data.approvedBy).toBeUndefined();
  });

  it('never lets an approval lift a denial', async () => {
    const info = activityInfo();
    const args = { url: 'https://api.example.com/x', method: 'GET' };
    const failure = await failureOf(
      new ConstitutionGateInterceptor(deps, info).execute(
        toolInput(info, 'http.request', args, withGateApproval({}, { approvalId: 'anything' })),
        recordingNext().next,
      ),
    );
    expect(failure.type).toBe('ConstitutionDenied');
  });

  it('fails closed without a header and audits it with the reason', async () => {
    const info = activityInfo({ activityType: 'slmComplete' });
    const { calls, next } = recordingNext();
    const failure = await failureOf(
      new ConstitutionGateInterceptor(deps, info).execute({ args: [{ tenant: 'acme' }], headers: {} }, next),
    );
    expect(calls).toHaveLength(0);
    expect(failure.type).toBe('ConstitutionDenied');
    expect(failure.message).toMatch(/carries no gate context header/);
    const [row] = await outboxRows(info.workflowExecution!.workflowId);
    expect(row!.envelope.tenant).toBe('unknown');
    expect(row!.envelope.data).toMatchObject({
      decision: 'deny',
      outcome: 'fail-closed',
      descriptor: null,
      failClosed: { reason: 'missing-context' },
      rulesFired: [{ id: 'gate.missing-context', source: 'gate' }],
      constitutionVersion: 1,
    });
  });

  it('runs an allowlisted infrastructure activity without a header, still audited', async () => {
    const info = activityInfo({ activityType: 'recordHeartbeat' });
    const { calls, next } = recordingNext();
    await new ConstitutionGateInterceptor(
      { ...deps, infrastructureActivities: new Set(['recordHeartbeat']) },
      info,
    ).execute({ args: [{ at: 1 }], headers: {} }, next);
    expect(calls).toHaveLength(1);
    const [row] = await outboxRows(info.workflowExecution!.workflowId);
    expect(row!.envelope.tenant).toBe('platform');
    expect(row!.envelope.data).toMatchObject({
      decision: 'allow',
      descriptor: { tenant: 'platform', tool: null },
    });
  });

  it('denies everything while no constitution is loaded', async () => {
    const empty = createConstitutionHolder({ pool: store.pool, trustStore: store.trustStore, logger });
    const info = activityInfo();
    const failure = await failureOf(
      new ConstitutionGateInterceptor({ ...deps, holder: empty }, info).execute(
        toolInput(info, 'workspace.read', { path: 'a' }),
        recordingNext().next,
      ),
    );
    expect(failure.type).toBe('ConstitutionDenied');
    const [row] = await outboxRows(info.workflowExecution!.workflowId);
    expect(row!.envelope.data).toMatchObject({
      outcome: 'fail-closed',
      failClosed: { reason: 'no-constitution' },
      constitutionHash: null,
    });
  });

  it('audits each attempt exactly once, even when the same attempt is judged twice', async () => {
    const info = activityInfo();
    const input = toolInput(info, 'workspace.read', { path: 'a' });
    const gate = new ConstitutionGateInterceptor(deps, info);
    await gate.execute(input, recordingNext().next);
    await new ConstitutionGateInterceptor(deps, { ...info }).execute(input, recordingNext().next);
    await new ConstitutionGateInterceptor(deps, { ...info, attempt: 2 }).execute(input, recordingNext().next);
    const rows = await outboxRows(info.workflowExecution!.workflowId);
    expect(rows.map((r) => r.envelope.data.attempt)).toEqual([1, 2]);
  });

  it('recordGateDecision writes one row per attempt however often it is called', async () => {
    const info = activityInfo();
    const attempt = {
      ...info.workflowExecution!,
      activityId: info.activityId,
      activityType: 'x',
      attempt: 1,
    };
    const data = {
      ...explainFailClosed(
        { reason: 'missing-context', message: 'no header' },
        { activityType: 'x', toolId: null, argsDigest: null, constitution: null },
      ),
      ...attempt,
      descriptor: null,
    };
    const first = await recordGateDecision(store.pool, data, { tenant: 'acme' });
    const again = await recordGateDecision(store.pool, data, { tenant: 'acme' });
    expect(again.id).toBe(first.id);
    expect(await outboxRows(attempt.workflowId)).toHaveLength(1);
  });

  it('does not run the activity when the decision cannot be recorded (retryable)', async () => {
    const dead = createPool({ url: 'postgres://postgres@127.0.0.1:1/none', max: 1 });
    const info = activityInfo();
    const { calls, next } = recordingNext();
    const failures = await registry.getSingleMetricAsString('somagent_gate_record_failures_total');
    const failure = await failureOf(
      new ConstitutionGateInterceptor({ ...deps, pool: dead }, info).execute(
        toolInput(info, 'workspace.read', { path: 'a' }),
        next,
      ),
    );
    await dead.end();
    expect(calls).toHaveLength(0);
    expect(failure.type).toBe(GATE_UNAVAILABLE);
    expect(failure.nonRetryable).toBe(false);
    expect(failure.cause?.message).toMatch(/ECONNREFUSED|connect/);
    expect(await registry.getSingleMetricAsString('somagent_gate_record_failures_total')).not.toBe(failures);
  });

  it('counts decisions by outcome and times the evaluation', async () => {
    const text = await registry.metrics();
    expect(text).toMatch(
      /somagent_gate_decisions_total\{outcome="allow",activity_type="executeTool"\} [1-9]/,
    );
    expect(text).toMatch(
      /somagent_gate_decisions_total\{outcome="review",activity_type="executeTool"\} [1-9]/,
    );
    expect(text).toMatch(/somagent_gate_decisions_total\{outcome="approved",activity_type="executeTool"\} 1/);
    expect(text).toMatch(
      /somagent_gate_decisions_total\{outcome="fail-closed",activity_type="slmComplete"\} 1/,
    );
    expect(text).toMatch(/somagent_gate_evaluation_seconds_count [1-9]/);
  });

  it('is what the worker factory installs as the inbound interceptor of every activity', () => {
    const info = activityInfo();
    const interceptors = createConstitutionGate(deps)({ info } as unknown as Context);
    expect(interceptors.inbound).toBeInstanceOf(ConstitutionGateInterceptor);
  });
});

const dbProd = { id: 'db.prod', risk: 'low' as const, category: 'database', writes: false };
