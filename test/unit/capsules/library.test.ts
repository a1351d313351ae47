import { BUILTIN_LIBRARY_DIR, libraryResolver, loadLibrary } from '../../../capsules/library-loader';
import { compileCapsule, planHash } from '../../../capsules/compiler';
import { formatDiagnostic } from '../../../capsules/diagnostics';
import type { CapsulePlan } from '../../../capsules/plan';

describe('capsule library', () => {
  let library: Awaited<ReturnType<typeof loadLibrary>>;
  beforeAll(async () => {
    library = await loadLibrary([BUILTIN_LIBRARY_DIR]);
  });

  it('parses every capsule and persona without diagnostics', () => {
    expect(library.diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(library.capsules.map((c) => c.value.id).sort()).toEqual([
      'analytics.weekly-report',
      'meetings.transcript-summary',
      'product.design',
      'product.development',
      'product.documentation',
      'product.launch',
      'product.qa',
      'support.issue-triage',
      'web.landing-page',
    ]);
    expect(library.personas.length).toBeGreaterThanOrEqual(8);
  });

  it('compiles every capsule without errors or warnings', async () => {
    const resolver = libraryResolver(library);
    for (const { value, source } of library.capsules) {
      const result = await compileCapsule(value, { resolver, source });
      expect({ id: value.id, diagnostics: result.diagnostics.map(formatDiagnostic) }).toEqual({
        id: value.id,
        diagnostics: [],
      });
      expect(result.plan?.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
      // Plain JSON: survives a JSON round trip unchanged, and the hash still verifies.
      const copy = JSON.parse(JSON.stringify(result.plan)) as CapsulePlan;
      expect(copy).toEqual(result.plan);
      expect(planHash(copy)).toBe(result.plan!.hash);
      expect(planHash({ ...copy, budget: { ...copy.budget, tokens: copy.budget.tokens + 1 } })).not.toBe(
        copy.hash,
      );
    }
  });

  async function plan(id: string): Promise<CapsulePlan> {
    const found = library.capsules.find((c) => c.value.id === id)!;
    const result = await compileCapsule(found.value, {
      resolver: libraryResolver(library),
      source: found.source,
    });
    return result.plan!;
  }

  it('schedules the weekly report on Mondays at 09:00', async () => {
    const p = await plan('analytics.weekly-report');
    expect(p.capsule.type).toBe('atomic');
    expect(p.triggers).toContainEqual({ type: 'schedule', cron: '0 9 * * MON', timezone: 'Europe/Berlin' });
  });

  it('starts issue triage from an event and reviews before posting', async () => {
    const p = await plan('support.issue-triage');
    expect(p.triggers.find((t) => t.type === 'event')).toMatchObject({ event: 'github.issue.opened' });
    expect(p.steps.find((s) => s.id === 'propose')?.review?.timeoutMs).toBe(4 * 3_600_000);
  });

  it('nests design, development, QA and documentation in the product launch, with tightened guardrails', async () => {
    const p = await plan('product.launch');
    expect(p.capsule.type).toBe('composite');
    const nested = p.steps.filter((s) => s.kind === 'capsule');
    expect(nested.map((s) => s.kind === 'capsule' && s.plan.capsule.id)).toEqual([
      'product.design',
      'product.development',
      'product.qa',
      'product.documentation',
    ]);
    expect(p.layers).toEqual([
      ['brief'],
      ['design'],
      ['development'],
      ['qa', 'documentation'],
      ['launch-review'],
    ]);
    // The launch capsule caps spend at 25 USD; the nested QA capsule inherits it.
    const qa = nested.find((s) => s.id === 'qa');
    expect(qa?.kind === 'capsule' && qa.plan.guardrails).toMatchObject({
      maxSpendUsd: 25,
      minThreshold: 0.75,
    });
    // Critical path weighs nested capsules by their own critical path (3 steps each).
    expect(p.criticalPath).toEqual({
      steps: ['brief', 'design', 'development', 'qa', 'launch-review'],
      length: 11,
    });
  });

  it('is a utility for meeting summaries and an architect → designer → engineer chain for landing pages', async () => {
    expect((await plan('meetings.transcript-summary')).capsule.type).toBe('utility');
    const landing = await plan('web.landing-page');
    const personasInOrder = landing.layers.flat().map((id) => {
      const step = landing.steps.find((s) => s.id === id)!;
      return step.kind === 'persona' ? landing.personas[step.persona]!.id : step.kind;
    });
    expect(personasInOrder.slice(0, 3)).toEqual(['architect', 'ui-designer', 'engineer']);
    expect(landing.steps.find((s) => s.id === 'design')?.review).toBeDefined();
    // The engineer's allowlist is narrowed by the capsule's override.
    expect(landing.personas.engineer!.tools).toEqual([
      'workspace.read',
      'workspace.list',
      'workspace.write',
      'finish',
    ]);
    expect(landing.personas.engineer!.systemPrompt).toContain('under 150 KB');
  });

  it('gives the same plan hash for the same content, and a different one after a change', async () => {
    const a = await plan('product.qa');
    const b = await plan('product.qa');
    expect(a.hash).toBe(b.hash);
    const found = library.capsules.find((c) => c.value.id === 'product.qa')!;
    const changed = {
      ...found.value,
      budget: { ...found.value.budget, tokens: found.value.budget.tokens + 1 },
    };
    const c = await compileCapsule(changed, { resolver: libraryResolver(library) });
    expect(c.plan!.hash).not.toBe(a.hash);
  });
});
