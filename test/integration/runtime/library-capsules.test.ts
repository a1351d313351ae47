import type { WorkflowHandle } from '@temporalio/client';
import { createWorkspaces } from '../../../activities/tools/workspace';
import type { Capsule, ParamSpec } from '../../../capsules/capsule-schema';
import { BUILTIN_LIBRARY_DIR, loadLibrary } from '../../../capsules/library-loader';
import type { CapsulePlan } from '../../../capsules/plan';
import { publishLibrary } from '../../../services/platform/publish-library';
import { compileOutputValidator } from '../../../workflows/output-schema';
import { approveSignal, planQuery, reviewSignal, statusQuery } from '../../../workflows/shared/definitions';
import type { CapsuleRunResult, JsonValue } from '../../../workflows/shared/types';
import { startBehavingModel, type BehavingModel, type RecordedRequest } from '../../support/fake-slm';
import { behavingModelEnv, startRuntimeHarness, type RuntimeHarness } from '../../fixtures/runtime/harness';

// Every capsule of the shipped library, with every shipped persona, runs to Completed on the
// devserver under the shipped default constitution, against a model that behaves like a real one
// (reads what the instruction names, writes what it asks for, then `finish` with JSON that fits the
// step's schema), both providers configured. The test acts as the admin would: it approves a
// forecast above the approval limit, approves the calls the capsule requires a human for, and
// passes review checkpoints. Each capsule runs as shipped, then once on each provider with every
// persona pinned to a model that answers `finish` off-schema twice per step: it still completes,
// through the correction turns that quote the validation errors back.

jest.setTimeout(600_000);

const KEY = 'sk-library-behaving-0123456789';

type Provider = 'openai' | 'anthropic';
/**
 * Off-schema answers per `finish` before an on-schema one; at most the platform's
 * MAX_OUTPUT_CORRECTIONS (2), or the step stops with invalid_output.
 */
const OFF_SCHEMA_FINISHES = 2;
/** Models (priced, so usage has a cost) the behaving model answers off-schema, per provider. */
const OFF_SCHEMA_MODELS: Record<Provider, string> = {
  openai: 'gpt-4.1-nano',
  anthropic: 'claude-3-5-haiku-latest',
};
const PROVIDER_PATHS: Record<Provider, string> = {
  openai: '/v1/chat/completions',
  anthropic: '/v1/messages',
};
const CORRECTION = 'Your result does not match the required output schema: ';

const TRANSCRIPT = `Launch sync — 12 November
Priya: Decision: we ship the default constitution as is.
Marco: I'll update the pricing page by Friday.
Marco: Open question: do we support Azure OpenAI at launch?`;
const DESIGN_SPEC = `# Saved searches
Decision: searches are saved per user, at most 20.
Decision: the list screen shows name, query and last run.
The API adds GET/POST/DELETE /api/searches.
Risk: the query format may change with the search rewrite.`;
const IMPLEMENTATION = `# Implementation
Decision: searches live in the saved_searches table.
Run it with npm run dev; tests with npm test.`;

/**
 * What a user gives a run in its workspace (run input files): the files the capsule's
 * instructions read before anything in the run writes them.
 */
const INPUT_FILES: Record<string, { path: string; content: string }[]> = {
  'meetings.transcript-summary': [{ path: 'meetings/transcript.txt', content: TRANSCRIPT }],
  'product.development': [{ path: 'design/spec.md', content: DESIGN_SPEC }],
  'product.documentation': [
    { path: 'design/spec.md', content: DESIGN_SPEC },
    { path: 'IMPLEMENTATION.md', content: IMPLEMENTATION },
  ],
};

/** Tenant of every run here (its sample memory snapshots are stored for it). */
const TENANT = 'library-test';

let model: BehavingModel;
let h: RuntimeHarness;
let library: Capsule[];

beforeAll(async () => {
  model = await startBehavingModel({
    apiKey: KEY,
    models: Object.fromEntries(
      Object.values(OFF_SCHEMA_MODELS).map((name) => [name, { offSchemaFinishes: OFF_SCHEMA_FINISHES }]),
    ),
  });
  h = await startRuntimeHarness('runtime_library', {
    constitution: 'default',
    env: behavingModelEnv(model, KEY),
  });
  // The library and its sample memory snapshots, for the tenant the runs use.
  await publishLibrary(h.store.pool, { snapshotTenants: [TENANT] });
  library = (await loadLibrary([BUILTIN_LIBRARY_DIR])).capsules.map((c) => c.value);
});
afterAll(async () => {
  await h?.close();
  await model?.close();
});

/** A value for a parameter without a default, as a user filling the start form would give. */
function sampleValue(name: string, spec: ParamSpec): JsonValue {
  switch (spec.type) {
    case 'integer':
    case 'number':
      return spec.min ?? 1;
    case 'boolean':
      return true;
    case 'enum':
      return spec.values![0]!;
    case 'list':
      return [`${name} one`, `${name} two`];
    case 'date':
      return '2026-12-15';
    default: {
      if (spec.pattern === undefined) return `Sample ${name} for the library test`;
      const pattern = new RegExp(spec.pattern);
      const fits = ['acme/widgets', 'https://example.com/api', 'ACME-123'].find((c) => pattern.test(c));
      if (!fits) throw new Error(`no sample value for ${name} matches /${spec.pattern}/; add one here`);
      return fits;
    }
  }
}

function paramsFor(capsule: Capsule): Record<string, JsonValue> {
  const params: Record<string, JsonValue> = {};
  for (const [name, spec] of Object.entries(capsule.params ?? {})) {
    if (spec.default === undefined) params[name] = sampleValue(name, spec);
  }
  return params;
}

/**
 * Drives a run to its end like an admin: every pending approval approved, every step awaiting
 * review approved by its first allowed reviewer, in the run and its nested capsule runs.
 */
async function driveToEnd(handle: WorkflowHandle): Promise<CapsuleRunResult> {
  let settled = false;
  const result = handle.result().finally(() => {
    settled = true;
  }) as Promise<CapsuleRunResult>;
  const answered = new Set<string>();
  const tend = async (run: WorkflowHandle): Promise<void> => {
    const [status, plan] = await Promise.all([run.query(statusQuery), run.query(planQuery)]);
    for (const approval of status.pendingApprovals) {
      if (answered.has(approval.approvalId)) continue;
      answered.add(approval.approvalId);
      await run.signal(approveSignal, { approvalId: approval.approvalId, approved: true, by: 'admin' });
    }
    const steps = (plan as unknown as CapsulePlan | null)?.steps ?? [];
    for (const step of status.steps) {
      const key = `${run.workflowId}/${step.id}`;
      if (step.state === 'awaiting_review' && !answered.has(key)) {
        answered.add(key);
        const reviewer = steps.find((s) => s.id === step.id)?.review?.reviewers?.[0] ?? 'admin';
        await run.signal(reviewSignal, { stepId: step.id, verdict: 'approve', by: reviewer });
      }
      const isCapsule = steps.find((s) => s.id === step.id)?.kind === 'capsule';
      if (isCapsule && step.state === 'running' && step.childWorkflowId) {
        await tend(h.client.workflow.getHandle(step.childWorkflowId)).catch(() => undefined);
      }
    }
  };
  const closed = result.then(
    () => undefined,
    () => undefined,
  );
  while (!settled) {
    // A query can race the close: the worker may drop a query task for a run it is evicting
    // (sdk-core: "leftover buffered tasks when evicting run") and the query then hangs until the
    // server's query timeout (30 s). The result decides; a query still out is left to fail.
    await Promise.race([tend(handle).catch(() => undefined), closed]);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return result;
}

/**
 * The capsule with every persona pinned to one model for every tier, as an inline capsule (the
 * persona templates still come from the registry).
 */
function pinnedTo(capsule: Capsule, provider: Provider): Capsule {
  const ref = `${provider}/${OFF_SCHEMA_MODELS[provider]}`;
  const personas = Object.fromEntries(
    Object.entries(capsule.personas).map(([alias, binding]) => [
      alias,
      {
        ...binding,
        overrides: { ...binding.overrides, model: { planning: ref, implementation: ref, review: ref } },
      },
    ]),
  );
  return { ...capsule, personas };
}

interface Run {
  result: CapsuleRunResult;
  /** The model requests made during the run (runs go one at a time). */
  requests: RecordedRequest[];
}

async function runCapsule(
  capsule: Capsule,
  label: string,
  source: string | Capsule = `${capsule.id}@^1`,
): Promise<Run> {
  const before = model.requests.length;
  const handle = await h.client.workflow.start('capsuleWorkflow', {
    taskQueue: h.taskQueue,
    workflowId: h.devserver.workflowId(label),
    args: [
      {
        capsule: typeof source === 'string' ? source : (JSON.parse(JSON.stringify(source)) as JsonValue),
        params: paramsFor(capsule),
        files: INPUT_FILES[capsule.id] ?? [],
        tenant: TENANT,
      },
    ],
  });
  const result = await driveToEnd(handle);
  await h.replay(handle);
  return { result, requests: model.requests.slice(before).filter((r) => r.path !== '/v1/embeddings') };
}

/** What every run of a capsule must show, however the model behaved on the way. */
async function expectCompleted(capsule: Capsule, { result, requests }: Run): Promise<void> {
  const failed = Object.entries(result.steps).filter(([, s]) => s.state !== 'succeeded');
  expect(failed).toEqual([]);
  expect(result.status).toBe('completed');

  // Typed outputs: present and valid against the step's declared schema.
  for (const step of capsule.steps) {
    if (!('output' in step) || !step.output) continue;
    const checked = compileOutputValidator(step.output)(result.steps[step.id]!.output);
    expect({ step: step.id, issues: checked.ok ? [] : checked.issues }).toEqual({
      step: step.id,
      issues: [],
    });
  }

  // Usage: the run's and every persona step's.
  expect(result.usage.totalTokens).toBeGreaterThan(0);
  expect(result.usage.costUsd).toBeGreaterThan(0);
  for (const step of capsule.steps) {
    if (!('persona' in step)) continue;
    const { usage } = result.steps[step.id]!;
    expect({ step: step.id, input: usage.inputTokens > 0, output: usage.outputTokens > 0 }).toEqual({
      step: step.id,
      input: true,
      output: true,
    });
  }

  // Deliverable artifacts: reported by the run and on disk in its workspace, in their format.
  const workspace = await createWorkspaces({ root: h.config.WORKSPACE_ROOT }).open(result.workflowId);
  for (const path of capsule.deliverable.artifacts ?? []) {
    expect(result.artifacts.map((a) => a.path)).toContain(path);
    const { content, bytes } = await workspace.read({ path });
    expect(bytes).toBeGreaterThan(0);
    const reported = result.artifacts.filter((a) => a.path === path).pop()!;
    if (reported.bytes !== undefined) expect(reported.bytes).toBe(bytes);
    if (path.endsWith('.md')) expect(content).toMatch(/^# \S/);
    if (path.endsWith('.html')) expect(content).toMatch(/^<!doctype html>[\s\S]*<\/html>\n$/);
    if (path.endsWith('.json')) expect(() => JSON.parse(content) as unknown).not.toThrow();
  }

  expect(requests.length).toBeGreaterThanOrEqual(capsule.steps.length);
  // Every file an instruction names was there to read: given as input or written by a step before.
  const missing = requests.flatMap((r) =>
    toolResults(r.body as Record<string, unknown>).filter((t) => t.includes('no such file')),
  );
  expect([...new Set(missing)]).toEqual([]);
}

/** The `finish` tool's property names in a request, sorted and joined (which step it is). */
function finishFields(body: Record<string, unknown>): string | undefined {
  const tools = Array.isArray(body.tools) ? (body.tools as Record<string, unknown>[]) : [];
  for (const tool of tools) {
    const fn = (tool.function ?? tool) as { name?: string; parameters?: unknown; input_schema?: unknown };
    if (fn.name !== 'finish') continue;
    const schema = (fn.parameters ?? fn.input_schema) as { properties?: Record<string, unknown> } | undefined;
    return Object.keys(schema?.properties ?? {})
      .sort()
      .join(',');
  }
  return undefined;
}

/** The tool results a request sends back to the model (either protocol). */
function toolResults(body: Record<string, unknown>): string[] {
  const messages = Array.isArray(body.messages) ? (body.messages as Record<string, unknown>[]) : [];
  const text = (content: unknown): string =>
    typeof content === 'string'
      ? content
      : Array.isArray(content)
        ? content.map((b: { text?: unknown }) => (typeof b.text === 'string' ? b.text : '')).join('\n')
        : '';
  return messages.flatMap((m) => {
    if (m.role === 'tool') return [text(m.content)];
    if (m.role !== 'user' || !Array.isArray(m.content)) return [];
    return (m.content as Record<string, unknown>[]).flatMap((b) =>
      b.type === 'tool_result' ? [text(b.content)] : [],
    );
  });
}

it('the library holds every shipped capsule', () => {
  expect(library.map((c) => c.id).sort()).toEqual(
    [
      'analytics.weekly-report',
      'meetings.transcript-summary',
      'product.design',
      'product.development',
      'product.documentation',
      'product.launch',
      'product.qa',
      'support.issue-triage',
      'web.landing-page',
    ].sort(),
  );
});

describe.each([
  'meetings.transcript-summary',
  'product.documentation',
  'product.qa',
  'web.landing-page',
  'product.development',
  'support.issue-triage',
  'product.design',
  'analytics.weekly-report',
  'product.launch',
])('%s', (id) => {
  const capsule = () => library.find((c) => c.id === id)!;

  it('runs as shipped to Completed with typed outputs, usage and its deliverable files', async () => {
    await expectCompleted(capsule(), await runCapsule(capsule(), id.replace(/\./g, '-')));
  });

  it.each<Provider>(['openai', 'anthropic'])(
    'on %s, answered off-schema twice per step, completes through correction turns',
    async (provider) => {
      const run = await runCapsule(
        capsule(),
        `${id.replace(/\./g, '-')}-${provider}`,
        pinnedTo(capsule(), provider),
      );
      await expectCompleted(capsule(), run);
      // Every call went to the pinned model, on its provider's protocol. A composite capsule's
      // nested capsule steps run those capsules as published, with their own models (each has
      // its own row here), so there the pinned model is one of those used.
      const pinned = `${PROVIDER_PATHS[provider]} ${OFF_SCHEMA_MODELS[provider]}`;
      const used = [
        ...new Set(run.requests.map((r) => `${r.path} ${String((r.body as { model?: unknown }).model)}`)),
      ];
      if (capsule().steps.some((step) => 'capsule' in step)) expect(used).toContain(pinned);
      else expect(used).toEqual([pinned]);
      // Each typed step got its corrections, quoting the issues by the fields of its schema.
      for (const step of capsule().steps) {
        if (!('output' in step) || !step.output) continue;
        const fields = Object.keys(step.output.properties ?? {});
        const last = run.requests
          .map((r) => r.body as Record<string, unknown>)
          .filter((b) => finishFields(b) === [...fields].sort().join(','))
          .pop();
        const corrections = toolResults(last ?? {}).filter((t) => t.includes(CORRECTION));
        expect({ step: step.id, corrections: corrections.length }).toEqual({
          step: step.id,
          corrections: OFF_SCHEMA_FINISHES,
        });
        for (const correction of corrections) {
          expect(fields.some((f) => correction.includes(`$.${f}`))).toBe(true);
        }
      }
    },
  );
});
