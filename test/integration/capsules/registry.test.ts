import { randomUUID } from 'node:crypto';
import { BUILTIN_LIBRARY_DIR, loadLibrary } from '../../../capsules/library-loader';
import { compileCapsule } from '../../../capsules/compiler';
import {
  CapsuleValidationError,
  ImmutableVersionError,
  ReferenceNotFoundError,
} from '../../../capsules/errors';
import { createCapsuleRegistry } from '../../../capsules/registry/registry-store';
import type { Capsule } from '../../../capsules/capsule-schema';
import type { Persona } from '../../../capsules/persona-schema';
import { testPool } from '../../support/pg';

describe('capsule registry (Postgres)', () => {
  const pool = testPool();
  const registry = createCapsuleRegistry({ pool });
  let library: Awaited<ReturnType<typeof loadLibrary>>;
  afterAll(() => pool.end());
  beforeAll(async () => {
    library = await loadLibrary([BUILTIN_LIBRARY_DIR]);
  });

  /** A library document under a unique id, so tests never see each other's rows. */
  const suffix = () => `x${randomUUID().slice(0, 8)}`;
  function persona(id: string, version = '1.0.0', patch: Partial<Persona> = {}): Persona {
    const base = library.personas.find((p) => p.value.id === 'technical-writer')!.value;
    return { ...base, ...patch, id, version };
  }
  function capsule(id: string, personaRef: string, version = '1.0.0', patch: Partial<Capsule> = {}): Capsule {
    const base = library.capsules.find((c) => c.value.id === 'product.documentation')!.value;
    return { ...base, ...patch, id, version, personas: { writer: { ref: personaRef } } };
  }

  it('publishes, resolves ranges to the highest version, and treats re-publishing the same content as a no-op', async () => {
    const pid = `writer-${suffix()}`;
    const first = await registry.publishPersona(persona(pid, '1.0.0'));
    expect(first).toMatchObject({ status: 'published', id: pid, version: '1.0.0' });
    await registry.publishPersona(persona(pid, '1.2.0', { temperature: 0.4 }));
    await registry.publishPersona(persona(pid, '2.0.0', { temperature: 0.5 }));

    expect((await registry.show('persona', `${pid}@^1`))?.version).toBe('1.2.0');
    expect((await registry.show('persona', `${pid}@*`))?.version).toBe('2.0.0');
    expect((await registry.show('persona', `${pid}@~1.0`))?.version).toBe('1.0.0');
    expect(await registry.show('persona', `${pid}@^3`)).toBeUndefined();

    const again = await registry.publishPersona(persona(pid, '1.0.0'));
    expect(again).toMatchObject({ status: 'unchanged', hash: first.hash });

    const cid = `docs.${suffix()}`;
    const published = await registry.publishCapsule(capsule(cid, `${pid}@^1`), {
      source: 'id: ...',
      publishedBy: 'ci',
    });
    expect(published.status).toBe('published');
    const record = await registry.show<Capsule>('capsule', `${cid}@1.0.0`);
    expect(record).toMatchObject({
      id: cid,
      version: '1.0.0',
      hash: published.hash,
      source: 'id: ...',
      publishedBy: 'ci',
    });
    expect(record!.document.steps.map((s) => s.id)).toEqual(['outline', 'write']);
  });

  it('rejects a changed document under an existing version with a clear error', async () => {
    const pid = `writer-${suffix()}`;
    await registry.publishPersona(persona(pid));
    const err = await registry
      .publishPersona(persona(pid, '1.0.0', { temperature: 0.9 }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImmutableVersionError);
    expect((err as Error).message).toMatch(
      new RegExp(`persona ${pid}@1.0.0 is already published with different content`),
    );
    expect((err as Error).message).toContain('bump the version');
    // The stored version is untouched.
    expect((await registry.show<Persona>('persona', `${pid}@1.0.0`))!.document.temperature).toBe(0.3);
  });

  it('lets exactly one of several concurrent publishes of a version win', async () => {
    const pid = `writer-${suffix()}`;
    const results = await Promise.allSettled(
      [0.1, 0.2, 0.3, 0.4].map((t) => registry.publishPersona(persona(pid, '1.0.0', { temperature: t }))),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(
      results.filter((r) => r.status === 'rejected' && r.reason instanceof ImmutableVersionError),
    ).toHaveLength(3);
  });

  it('refuses capsules whose references are not published, naming the field', async () => {
    const err = await registry
      .publishCapsule(capsule(`docs.${suffix()}`, `nobody-${suffix()}@^1`))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CapsuleValidationError);
    const diagnostics = (err as CapsuleValidationError).diagnostics;
    expect(diagnostics.map((d) => [d.code, d.path])).toContainEqual([
      'persona-not-found',
      'personas.writer.ref',
    ]);
  });

  it('refuses invalid documents', async () => {
    const err = await registry.publishCapsule({ id: 'x', version: 'nope' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CapsuleValidationError);
    expect((err as CapsuleValidationError).diagnostics.map((d) => d.path)).toEqual(
      expect.arrayContaining(['version', 'title']),
    );
  });

  it('deprecates: ranges skip the version, exact pins still resolve, list hides fully deprecated ids', async () => {
    const pid = `writer-${suffix()}`;
    await registry.publishPersona(persona(pid, '1.0.0'));
    await registry.publishPersona(persona(pid, '1.1.0', { temperature: 0.1 }));
    await registry.deprecate('persona', pid, '1.1.0', 'prompt regression');
    await registry.deprecate('persona', pid, '1.1.0', 'second reason is ignored');

    expect((await registry.show('persona', `${pid}@^1`))?.version).toBe('1.0.0');
    const pinned = await registry.show('persona', `${pid}@1.1.0`);
    expect(pinned?.deprecated?.reason).toBe('prompt regression');

    const listed = (await registry.list('persona')).find((e) => e.id === pid);
    expect(listed).toMatchObject({ latest: '1.0.0', versions: ['1.1.0', '1.0.0'], deprecated: false });

    await registry.deprecate('persona', pid, '1.0.0', 'retired');
    expect(await registry.show('persona', `${pid}@^1`)).toBeUndefined();
    expect((await registry.list('persona')).some((e) => e.id === pid)).toBe(false);
    expect(
      (await registry.list('persona', { includeDeprecated: true })).find((e) => e.id === pid)?.deprecated,
    ).toBe(true);

    await expect(registry.deprecate('persona', pid, '9.9.9', 'x')).rejects.toBeInstanceOf(
      ReferenceNotFoundError,
    );
  });

  it('compiles nested capsules resolved from the registry', async () => {
    const s = suffix();
    for (const p of library.personas) await registry.publishPersona(p.value);
    const ids = ['product.design', 'product.development', 'product.qa', 'product.documentation'];
    for (const id of ids) {
      const doc = library.capsules.find((c) => c.value.id === id)!.value;
      await registry.publishCapsule({ ...doc, id: `${id}-${s}` });
    }
    const launch = library.capsules.find((c) => c.value.id === 'product.launch')!.value;
    const renamed: Capsule = {
      ...launch,
      id: `product.launch-${s}`,
      steps: launch.steps.map((st) =>
        st.capsule ? { ...st, capsule: st.capsule.replace('@', `-${s}@`) } : st,
      ),
    };
    const published = await registry.publishCapsule(renamed);
    expect(published.status).toBe('published');
    const resolved = await registry.asResolver().resolveCapsule(`product.launch-${s}@^1`);
    const result = await compileCapsule(resolved!.value, {
      resolver: registry.asResolver(),
      source: resolved!.source,
    });
    expect(result.diagnostics).toEqual([]);
    expect(result.plan!.steps.filter((st) => st.kind === 'capsule')).toHaveLength(4);
  });

  it('learns forecast coefficients from recorded usage, per scope', async () => {
    const scope = `tenant-${suffix()}`;
    const before = await registry.loadCoefficients(scope);
    const usage = {
      task: 'summary' as const,
      personaId: 'scribe',
      promptTokens: 100,
      totalTokens: 100 + 2 * (before.baseline.summary.mean + before.defaultPersona.mean),
      toolCalls: {},
    };
    await Promise.all([registry.recordUsage([usage], { scope }), registry.recordUsage([usage], { scope })]);
    const after = await registry.loadCoefficients(scope);
    // Two updates of α = 0.2 towards twice the prior: mean × (1 + 0.2) then towards the same target again.
    const m0 = before.baseline.summary.mean;
    const m1 = m0 + 0.2 * (2 * m0 - m0);
    const target2 =
      m1 *
      ((2 * (m0 + before.defaultPersona.mean)) /
        (m1 + (before.defaultPersona.mean + 0.2 * before.defaultPersona.mean)));
    expect(after.baseline.summary.samples).toBe(2);
    expect(after.baseline.summary.mean).toBeCloseTo(m1 + 0.2 * (target2 - m1), 6);
    const { rows } = await pool.query('SELECT runs FROM forecast_coefficients WHERE scope = $1', [scope]);
    expect(rows[0].runs).toBe(2);
  });
});
