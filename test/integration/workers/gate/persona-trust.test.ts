import type { Capsule } from '../../../../capsules/capsule-schema';
import { BUILTIN_LIBRARY_DIR, loadLibrary } from '../../../../capsules/library-loader';
import type { Persona } from '../../../../capsules/persona-schema';
import { createCapsuleRegistry } from '../../../../capsules/registry/registry-store';
import type { CapsuleRunResult } from '../../../../workflows/shared/types';
import { openAiToolCalls, type RecordedRequest } from '../../../support/fake-slm';
import { failedRun } from '../../../fixtures/runtime/run-outcome';
import { startRuntimeHarness, type RuntimeHarness } from '../../../fixtures/runtime/harness';

// Bundling the workflows and migrating a private database take a while on a shared machine.
jest.setTimeout(120_000);

// Persona trust travels from the persona template (`trust`) through the compiled plan and the
// gate-context header into x(a). Under v2 below (S = 0.5·toolRisk + 0.3·writes + 0.2·trust,
// θ = 0.9, θ_review = 0.85) a persona's read-only actions score 0.8 + 0.2·trust:
// trust 0.9 → 0.98 (allow), trust 0.2 → 0.84 (deny). Nothing else differs between the two runs.

let h: RuntimeHarness;
let base: Capsule;

beforeAll(async () => {
  h = await startRuntimeHarness('gate_persona_trust');
  await h.store.publish(2, { threshold: 0.9, reviewThreshold: 0.85 });
  expect(await h.holder.refreshFromStore()).toMatchObject({ status: 'applied', version: 2 });
  const library = await loadLibrary([BUILTIN_LIBRARY_DIR]);
  const scribe = library.personas.find((p) => p.value.id === 'scribe')!.value;
  const registry = createCapsuleRegistry({ pool: h.store.pool });
  const variant = (id: string, trust: number): Persona => ({ ...scribe, id, trust });
  await registry.publishPersona(variant('scribe.trusted', 0.9));
  await registry.publishPersona(variant('scribe.untrusted', 0.2));
  base = library.capsules.find((c) => c.value.id === 'meetings.transcript-summary')!.value;
});
afterAll(async () => {
  await h?.close();
});

const mentions = (marker: string) => (request: RecordedRequest) =>
  JSON.stringify(request.body).includes(marker);

function withoutOutput<T extends { output?: unknown }>(step: T): Omit<T, 'output'> {
  const { output: _output, ...rest } = step;
  return rest;
}

/** One persona step by `personaId`, whose instruction carries `marker`. */
function capsuleFor(personaId: string, marker: string): Capsule {
  const [binding] = Object.values(base.personas);
  const [step] = base.steps;
  return {
    ...base,
    id: 'trust.probe',
    tools: ['finish'],
    guardrails: {},
    personas: { s: { ...binding!, ref: `${personaId}@^1` } },
    steps: [
      {
        // A plain string answer: the probe is about trust, not the step's typed output.
        ...withoutOutput(step!),
        id: 'only',
        persona: 's',
        instruction: `${marker}: summarise nothing.`,
        tools: [],
        dependsOn: [],
      },
    ],
  };
}

function start(label: string, capsule: Capsule) {
  return h.client.workflow.start('capsuleWorkflow', {
    taskQueue: h.taskQueue,
    workflowId: h.devserver.workflowId(label),
    args: [{ capsule, tenant: 'acme' }],
  });
}

/** Gate decisions of the run's persona children (their workflow ids extend the run's). */
async function personaDecisions(workflowId: string) {
  const { rows } = await h.store.pool.query<{ data: Record<string, unknown> }>(
    `SELECT envelope->'data' AS data FROM outbox
      WHERE envelope->>'type' = 'gate.decision' AND key LIKE $1 ORDER BY seq`,
    [`${workflowId}.%`],
  );
  return rows.map((r) => r.data);
}

describe('persona trust in the gate', () => {
  it('allows a trusted persona where the weighted score denies a low-trust one', async () => {
    h.openai.enqueueWhen(
      mentions('MARK-TRUSTED'),
      openAiToolCalls([{ name: 'finish', arguments: { result: 'ok' } }]),
    );
    const trusted = await start('trusted', capsuleFor('scribe.trusted', 'MARK-TRUSTED'));
    const result = (await trusted.result()) as CapsuleRunResult;
    expect(result.status).toBe('completed');
    expect(result.steps.only).toMatchObject({ state: 'succeeded', output: 'ok' });
    const allowed = await personaDecisions(trusted.workflowId);
    expect(allowed.length).toBeGreaterThan(0);
    for (const decision of allowed) {
      expect(decision).toMatchObject({
        decision: 'allow',
        score: 0.98,
        constitutionVersion: 2,
        descriptor: expect.objectContaining({ persona: { id: 'scribe.trusted', trust: 0.9 } }),
      });
    }

    const untrusted = await start('untrusted', capsuleFor('scribe.untrusted', 'MARK-UNTRUSTED'));
    const { failure, result: failed } = await failedRun(untrusted);
    expect(failure.type).toBe('ConstitutionDenied');
    expect(failed.status).toBe('failed');
    expect(failed.steps.only).toMatchObject({
      state: 'failed',
      error: { type: 'ConstitutionDenied', message: expect.stringContaining('score 0.84 < θ_review 0.85') },
    });
    const denied = await personaDecisions(untrusted.workflowId);
    expect(denied.length).toBeGreaterThan(0);
    for (const decision of denied) {
      expect(decision).toMatchObject({
        decision: 'deny',
        score: 0.84,
        constitutionVersion: 2,
        descriptor: expect.objectContaining({ persona: { id: 'scribe.untrusted', trust: 0.2 } }),
      });
    }
    const asked = (marker: string) =>
      h.openai.chatRequests().filter((r) => JSON.stringify(r).includes(marker));
    expect(asked('MARK-TRUSTED').length).toBeGreaterThan(0);
    // The model was never asked: the low-trust persona's model call was denied before it ran.
    expect(asked('MARK-UNTRUSTED')).toEqual([]);
  });
});
