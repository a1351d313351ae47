import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BUILTIN_LIBRARY_DIR, loadLibrary } from '../../../capsules/library-loader';
import { createCapsuleRegistry } from '../../../capsules/registry/registry-store';
import { approveSignal, statusQuery } from '../../../workflows/shared/definitions';
import type { CapsuleRunResult } from '../../../workflows/shared/types';
import { runSomagent } from '../../support/cli';
import { startBehavingModel, type BehavingModel } from '../../support/fake-slm';
import { startRuntimeHarness, type RuntimeHarness } from '../../fixtures/runtime/harness';

// A client-started run with input files, as an admin on another machine would start it:
// `somagent capsule run meetings.transcript-summary@^1 --file transcript=<path> --wait` writes the
// transcript where the capsule's `transcriptPath` points, the persona reads it from there, and the
// run completes with the summary written to the same workspace.

jest.setTimeout(120_000);

const KEY = 'sk-run-inputs-0123456789';
let model: BehavingModel;
let h: RuntimeHarness;
let dir: string;
const saved = { ...process.env };

beforeAll(async () => {
  model = await startBehavingModel({ apiKey: KEY });
  h = await startRuntimeHarness('runtime_inputs', {
    constitution: 'default',
    env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: model.openAiBaseURL },
  });
  const library = await loadLibrary([BUILTIN_LIBRARY_DIR]);
  const registry = createCapsuleRegistry({ pool: h.store.pool });
  await registry.publishPersona(library.personas.find((p) => p.value.id === 'scribe')!.value);
  const summary = library.capsules.find((c) => c.value.id === 'meetings.transcript-summary')!.value;
  await registry.publishCapsule(summary);
  // The same job where a human must approve what the scribe remembers.
  await registry.publishCapsule({
    ...summary,
    id: 'meetings.reviewed-summary',
    guardrails: { ...summary.guardrails, requireApprovalFor: ['memory.remember'] },
  });
  dir = await mkdtemp(path.join(tmpdir(), 'somagent-inputs-'));
  // The CLI reads its configuration from the environment, as it does on a user's machine.
  Object.assign(process.env, {
    DATABASE_URL: h.store.url,
    TEMPORAL_ADDRESS: h.devserver.address,
    TEMPORAL_NAMESPACE: h.devserver.namespace,
    TEMPORAL_TASK_QUEUE: h.taskQueue,
  });
});
afterAll(async () => {
  process.env = saved;
  await h?.close();
  await model?.close();
});

async function pendingApproval(workflowId: string): Promise<string> {
  const handle = h.client.workflow.getHandle(workflowId);
  for (let i = 0; i < 300; i++) {
    const status = await handle.query(statusQuery).catch(() => undefined);
    const [first] = status?.pendingApprovals ?? [];
    if (first) return first.approvalId;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `run ${workflowId} never asked for an approval: ${JSON.stringify(await handle.query(statusQuery).catch(String))}`,
  );
}

async function waitUntil(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('condition not reached in 30 s');
}

async function capsuleRuns(): Promise<number> {
  let n = 0;
  for await (const _ of h.client.workflow.list({ query: `WorkflowType = 'capsuleWorkflow'` })) n++;
  return n;
}

describe('somagent capsule run --file', () => {
  it('lands the transcript where the capsule reads it, and the run completes', async () => {
    const transcript = path.join(dir, 'board.txt');
    const text = 'Ana: We ship the pricing page on Friday.\nMarco: I will update the docs by Thursday.\n';
    await writeFile(transcript, text);
    const workflowId = h.devserver.workflowId('cli-inputs');
    const printed = await runSomagent(
      'capsule',
      'run',
      'meetings.transcript-summary@^1',
      '--file',
      `transcript=${transcript}`,
      '--param',
      'meetingTitle=Board sync',
      '--workflow-id',
      workflowId,
      '--wait',
    );
    expect(printed).toContain('run completed');
    expect(process.exitCode ?? 0).toBe(0);

    const [dirName] = (await readdir(h.config.WORKSPACE_ROOT)).filter((d) => d.startsWith(`${workflowId}-`));
    const workspace = path.join(h.config.WORKSPACE_ROOT, dirName!);
    expect(await readFile(path.join(workspace, 'meetings/transcript.txt'), 'utf8')).toBe(text);
    expect(await readFile(path.join(workspace, 'meetings/summary.md'), 'utf8')).not.toHaveLength(0);
    // The model was handed the transcript's content by workspace.read.
    expect(JSON.stringify(model.chatRequests())).toContain('We ship the pricing page on Friday.');
    const history = await h.client.workflow.getHandle(workflowId).fetchHistory();
    const written = history.events?.filter(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'writeRunInputs',
    );
    expect(written).toHaveLength(1);
  });

  it('refuses a file that is not there before any run starts, naming it', async () => {
    const missing = path.join(dir, 'nope.txt');
    const before = await capsuleRuns();
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await runSomagent(
        'capsule',
        'run',
        'meetings.transcript-summary@^1',
        '--file',
        `transcript=${missing}`,
      );
      expect(String(stderr.mock.calls.map((c) => c[0]).join(''))).toMatch(/capsule run: .*nope\.txt/);
      expect(process.exitCode).toBe(2);
    } finally {
      stderr.mockRestore();
      process.exitCode = undefined;
    }
    expect(await capsuleRuns()).toBe(before);
  });

  it('shows what a waiting run needs and how to decide it; approve --reject, status and cancel from the shell', async () => {
    const transcript = path.join(dir, 'short.txt');
    await writeFile(transcript, 'Lee: I will send the invites on Monday.\n');
    const waited = h.devserver.workflowId('cli-approve');

    const running = runSomagent(
      'capsule',
      'run',
      'meetings.reviewed-summary@^1',
      '-f',
      `transcript=${transcript}`,
      '--workflow-id',
      waited,
      '--wait',
    );
    const approvalId = await Promise.race([
      pendingApproval(waited),
      running.then((printed) => {
        throw new Error(`the run ended before it asked for an approval: ${printed}`);
      }),
    ]);
    // `--wait` polls once a second; let it see the approval before another client decides it.
    await new Promise((r) => setTimeout(r, 2_500));
    await h.client.workflow
      .getHandle(waited)
      .signal(approveSignal, { approvalId, approved: true, by: 'admin' });
    const printed = await running;
    expect(printed).toContain('waiting for approval of memory.remember in step write-summary');
    expect(printed).toContain(
      `decide: npx somagent capsule approve ${waited} ${approvalId} [--reject] [--token-file <approver's JWS>]`,
    );
    expect(printed).toContain('run completed');

    const rejectedId = h.devserver.workflowId('cli-reject');
    await runSomagent(
      'capsule',
      'run',
      'meetings.reviewed-summary@^1',
      '-f',
      `transcript=${transcript}`,
      '--workflow-id',
      rejectedId,
    );
    const toReject = await pendingApproval(rejectedId);
    const status = JSON.parse(await runSomagent('capsule', 'status', rejectedId));
    expect(status.pendingApprovals).toEqual([
      expect.objectContaining({ approvalId: toReject, toolId: 'memory.remember' }),
    ]);
    await expect(runSomagent('capsule', 'approve', rejectedId, 'not-an-approval')).rejects.toThrow(
      `run ${rejectedId} has no pending approval not-an-approval; pending: ${toReject}`,
    );
    expect(
      JSON.parse(await runSomagent('capsule', 'approve', rejectedId, toReject, '--reject', '--by', 'admin')),
    ).toEqual({
      workflowId: rejectedId,
      approvalId: toReject,
      approved: false,
      // Local mode: an unsigned decision counts, recorded as unverified under the name given.
      outcome: 'applied',
      by: 'admin',
      verified: false,
    });
    await waitUntil(
      async () =>
        (await h.client.workflow.getHandle(rejectedId).query(statusQuery)).decisions.approvalsRejected === 1,
    );

    const cancelledId = h.devserver.workflowId('cli-cancel');
    await runSomagent(
      'capsule',
      'run',
      'meetings.reviewed-summary@^1',
      '-f',
      `transcript=${transcript}`,
      '--workflow-id',
      cancelledId,
    );
    await pendingApproval(cancelledId);
    await runSomagent('capsule', 'cancel', cancelledId, '--reason', 'wrong transcript', '--by', 'admin');
    const cancelled = await h.client.workflow
      .getHandle(cancelledId)
      .result()
      .catch((e: unknown) => e);
    expect((cancelled as { cause?: { type?: string; message?: string } }).cause).toMatchObject({
      type: 'RunCancelled',
      message: 'run cancelled by admin: wrong transcript',
    });
    const details = (cancelled as { cause?: { details?: CapsuleRunResult[] } }).cause?.details?.[0];
    expect(details?.status).toBe('cancelled');
  });
});
