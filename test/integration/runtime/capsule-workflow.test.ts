import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Capsule } from '../../../capsules/capsule-schema';
import { BUILTIN_LIBRARY_DIR, loadLibrary } from '../../../capsules/library-loader';
import { createCapsuleRegistry } from '../../../capsules/registry/registry-store';
import { forecastApprovalId } from '../../../workflows/capsule';
import { approveSignal, planQuery, statusQuery } from '../../../workflows/shared/definitions';
import { SEARCH_ATTRIBUTES } from '../../../workflows/shared/search-attributes';
import { eventTypes, rejectionOf, waitFor } from '../../support/devserver';
import { startRuntimeHarness, type RuntimeHarness } from '../../fixtures/runtime/harness';
import { failedRun } from '../../fixtures/runtime/run-outcome';

// Bundling the workflows and migrating a private database take a while on a shared machine.
jest.setTimeout(120_000);

// What runs here without child workflows (the devserver does not start them yet): validation,
// plan loading, the forecast approval gate before any step, the `plan`/`status` queries.

let h: RuntimeHarness;
let meetingSummary: Capsule;

beforeAll(async () => {
  h = await startRuntimeHarness('runtime_capsule');
  const library = await loadLibrary([BUILTIN_LIBRARY_DIR]);
  const registry = createCapsuleRegistry({ pool: h.store.pool });
  await registry.publishPersona(library.personas.find((p) => p.value.id === 'scribe')!.value);
  meetingSummary = library.capsules.find((c) => c.value.id === 'meetings.transcript-summary')!.value;
  await registry.publishCapsule(meetingSummary);
});
afterAll(async () => {
  await h?.close();
});

async function applicationFailureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await rejectionOf(promise);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

function start(label: string, input: unknown) {
  return h.client.workflow.start('capsuleWorkflow', {
    taskQueue: h.taskQueue,
    workflowId: h.devserver.workflowId(label),
    args: [input],
  });
}

describe('capsuleWorkflow on the devserver (no child workflows yet)', () => {
  it('fails fast on invalid input, naming the field, without scheduling anything', async () => {
    const handle = await start('invalid', { capsule: 'Not A Ref', params: 3 });
    const failure = await applicationFailureOf(handle.result());
    expect(failure).toMatchObject({ type: 'InvalidWorkflowInput', nonRetryable: true });
    expect(failure.message).toContain('capsule');
    expect(failure.message).toContain('params');
    expect(eventTypes(await h.devserver.history(handle))).not.toContain('ACTIVITY_TASK_SCHEDULED');
    await h.replay(handle);
  });

  it('fails with InvalidPlan when no published capsule matches the reference', async () => {
    const handle = await start('missing', { capsule: 'meetings.transcript-summary@^7' });
    const failure = await applicationFailureOf(handle.result());
    expect(failure).toMatchObject({ type: 'InvalidPlan', nonRetryable: true });
    expect(failure.message).toContain('meetings.transcript-summary@^7');
    await h.replay(handle);
  });

  it('waits for approval of a forecast above the approval limit before any step starts', async () => {
    const inline = {
      ...meetingSummary,
      id: 'meetings.costly',
      budget: { ...meetingSummary.budget, approvalLimitUsd: 0 },
    };
    const handle = await start('forecast', {
      capsule: inline,
      params: { meetingTitle: 'Board' },
      tenant: 'acme',
    });

    await waitFor(
      'the run to wait for approval',
      async () => (await handle.query(statusQuery)).phase === 'awaiting_approval',
      60_000,
    );
    const status = await handle.query(statusQuery);
    expect(status).toMatchObject({ tenant: 'acme', capsule: { id: 'meetings.costly' } });
    expect(status.pendingApprovals).toEqual([
      expect.objectContaining({
        approvalId: forecastApprovalId(handle.workflowId),
        activityType: 'capsuleWorkflow',
      }),
    ]);
    expect(status.steps.map((s) => s.state)).toEqual(status.steps.map(() => 'pending'));
    const description = await handle.describe();
    expect(description.typedSearchAttributes.get(SEARCH_ATTRIBUTES.tenant)).toBe('acme');
    expect(description.typedSearchAttributes.get(SEARCH_ATTRIBUTES.capsuleId)).toBe('meetings.costly');
    expect(description.memo).toMatchObject({ capsule: `meetings.costly@${meetingSummary.version}` });
    // What the Web UI shows: the phase as a filterable attribute, the status as current details.
    expect(description.typedSearchAttributes.get(SEARCH_ATTRIBUTES.status)).toBe('awaiting-approval');
    const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    expect(metadata.currentDetails).toContain(`for tenant \`acme\`: awaiting approval`);
    expect(metadata.currentDetails).toContain(
      `Send the \`approve\` signal with \`{"approvalId": "${forecastApprovalId(handle.workflowId)}", "approved": true}\``,
    );
    const plan = await handle.query(planQuery);
    expect(plan).toMatchObject({ capsule: { id: 'meetings.costly' }, hash: status.planHash });

    await handle.signal(approveSignal, {
      approvalId: forecastApprovalId(handle.workflowId),
      approved: false,
      by: 'cfo',
      comment: 'too expensive',
    });
    const failure = await applicationFailureOf(handle.result());
    expect(failure).toMatchObject({ type: 'ApprovalRejected', nonRetryable: true });
    expect(failure.message).toContain('cfo');
    expect((await handle.describe()).typedSearchAttributes.get(SEARCH_ATTRIBUTES.status)).toBe('failed');
    const events = eventTypes(await h.devserver.history(handle));
    expect(events).not.toContain('START_CHILD_WORKFLOW_EXECUTION_INITIATED');
    // loadCapsulePlan, then verifyApproval for the decision (local mode: unsigned, unverified).
    expect(events.filter((e) => e === 'ACTIVITY_TASK_SCHEDULED')).toHaveLength(2);
    const decisions = await h.gateDecisions(handle.workflowId);
    expect(decisions).toEqual([
      expect.objectContaining({ activityType: 'loadCapsulePlan', decision: 'allow' }),
      expect.objectContaining({ activityType: 'verifyApproval', decision: 'allow' }),
    ]);
    const { rows: audit } = await h.store.pool.query<{ type: string; data: Record<string, unknown> }>(
      `SELECT envelope->>'type' AS type, envelope->'data' AS data FROM outbox
        WHERE key = $1 AND envelope->>'type' LIKE 'approval.%'`,
      [handle.workflowId],
    );
    expect(audit).toEqual([
      {
        type: 'approval.verified',
        data: expect.objectContaining({ subject: 'cfo', verified: false, approved: false, mode: 'local' }),
      },
    ]);
    await h.replay(handle);
  });

  it('runs the task graph: a step the spawn policy refuses fails, its dependents are skipped', async () => {
    // Handed-down limits with no delegation depth left: no step may start a child.
    const limits = { tokens: null, usd: null, depth: 0, maxChildren: 5, maxConcurrency: 2, tools: [] };
    const handle = await start('spawn-denied', {
      capsule: `${meetingSummary.id}@^1`,
      tenant: 'acme',
      limits,
    });
    const { failure, result } = await failedRun(handle);
    expect(failure.type).toBe('SpawnDenied');
    expect(failure.message).toContain('step "extract" failed: SpawnDenied');
    const memo = (await handle.describe()).memo as { outcome?: { status?: string; failure?: string } };
    expect(memo.outcome).toMatchObject({ status: 'failed', failure: failure.message });
    expect(result).toMatchObject({
      status: 'failed',
      capsule: { id: meetingSummary.id, version: meetingSummary.version },
      workflowId: handle.workflowId,
    });
    expect(result.capsule.planHash).toMatch(/^sha256:/);
    expect(result.steps.extract).toMatchObject({ state: 'failed', error: { type: 'SpawnDenied' } });
    expect(result.steps.extract!.error!.message).toContain('depth');
    expect(result.steps['write-summary']).toMatchObject({
      state: 'skipped',
      error: { type: 'StepSkipped', message: expect.stringContaining('extract') as unknown },
    });
    const status = await handle.query(statusQuery);
    expect(status.phase).toBe('failed');
    expect(eventTypes(await h.devserver.history(handle))).not.toContain(
      'START_CHILD_WORKFLOW_EXECUTION_INITIATED',
    );
    await h.replay(handle);
  });
});
