import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { createCapsuleLoaderActivities } from '../../../activities/capsule-loader';
import type { Capsule } from '../../../capsules/capsule-schema';
import { BUILTIN_LIBRARY_DIR, loadLibrary } from '../../../capsules/library-loader';
import type { Persona } from '../../../capsules/persona-schema';
import { createCapsuleRegistry } from '../../../capsules/registry/registry-store';
import { testPool } from '../../support/pg';

describe('loadCapsulePlan (registry in Postgres)', () => {
  const pool = testPool();
  const registry = createCapsuleRegistry({ pool });
  const { loadCapsulePlan } = createCapsuleLoaderActivities({ registry });
  let capsule: Capsule;
  let persona: Persona;
  const suffix = `x${randomUUID().slice(0, 8)}`;
  const capsuleId = `meetings.summary-${suffix}`;
  const personaId = `scribe-${suffix}`;

  beforeAll(async () => {
    const library = await loadLibrary([BUILTIN_LIBRARY_DIR]);
    persona = { ...library.personas.find((p) => p.value.id === 'scribe')!.value, id: personaId };
    const base = library.capsules.find((c) => c.value.id === 'meetings.transcript-summary')!.value;
    capsule = { ...base, id: capsuleId, personas: { scribe: { ref: `${personaId}@^1` } } };
    await registry.publishPersona(persona);
    await registry.publishCapsule(capsule);
  });
  afterAll(() => pool.end());

  async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
    const err = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApplicationFailure);
    return err as ApplicationFailure;
  }

  it('resolves id@range from the registry, binds params with defaults and forecasts', async () => {
    const result = await loadCapsulePlan({
      capsule: `${capsuleId}@^1`,
      params: { meetingTitle: 'Q4 kickoff' },
    });
    expect(result.plan.capsule).toMatchObject({ id: capsuleId, version: capsule.version });
    expect(result.plan.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(result.plan.personas.scribe?.id).toBe(personaId);
    expect(result.params).toMatchObject({ meetingTitle: 'Q4 kickoff', maxActionItems: 15 });
    expect(result.forecast.steps.map((s) => s.stepId)).toEqual(result.plan.steps.map((s) => s.id));
    expect(result.forecast.tokens.mean).toBeGreaterThan(0);
    // Plain JSON: survives a round trip unchanged (it crosses into workflow history).
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });

  it('compiles an inline capsule against the registry', async () => {
    const inline = { ...capsule, id: `inline.${suffix}` } as unknown as Record<string, unknown>;
    const result = await loadCapsulePlan({ capsule: inline });
    expect(result.plan.capsule.id).toBe(`inline.${suffix}`);
  });

  it('fails non-retryably naming the reference when nothing matches', async () => {
    const failure = await failureOf(loadCapsulePlan({ capsule: `${capsuleId}@^9` }));
    expect(failure).toMatchObject({ type: 'InvalidPlan', nonRetryable: true });
    expect(failure.message).toContain(`${capsuleId}@^9`);
  });

  it('names each bad parameter', async () => {
    const failure = await failureOf(
      loadCapsulePlan({ capsule: `${capsuleId}@^1`, params: { maxActionItems: 500, nope: 1 } }),
    );
    expect(failure).toMatchObject({ type: 'InvalidWorkflowInput', nonRetryable: true });
    expect(failure.message).toContain('params.maxActionItems');
    expect(failure.message).toContain('params.nope');
  });

  it('reports compile errors of an inline capsule with their field paths', async () => {
    const broken = { ...capsule, id: `broken.${suffix}`, personas: { scribe: { ref: 'nobody-here@^1' } } };
    const failure = await failureOf(loadCapsulePlan({ capsule: broken }));
    expect(failure).toMatchObject({ type: 'InvalidPlan', nonRetryable: true });
    expect(failure.message).toContain('nobody-here');
  });

  it('rejects a malformed input naming the field', async () => {
    const failure = await failureOf(loadCapsulePlan({ capsule: 42 } as never));
    expect(failure).toMatchObject({ type: 'InvalidActivityInput' });
    expect(failure.message).toContain('capsule');
  });
});
