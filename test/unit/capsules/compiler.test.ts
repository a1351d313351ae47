import { compileCapsule } from '../../../capsules/compiler';
import { DEFAULT_PERSONA_TRUST } from '../../../capsules/persona-schema';
import { parseCapsule, parsePersona } from '../../../capsules/parse';
import { bindParams } from '../../../capsules/params';
import { chainResolvers, createMemoryResolver, type Resolved } from '../../../capsules/resolver';
import { renderTemplate, scanTemplate } from '../../../capsules/template';
import type { Capsule } from '../../../capsules/capsule-schema';

const PERSONA = parsePersona(
  `id: worker
version: 1.2.0
name: Worker
description: does work
systemPrompt: You do the work you are given, carefully.
model: { planning: openai/gpt-4.1-mini, implementation: openai/gpt-4.1 }
tools: [workspace.read, workspace.write, http.request]
`,
  { file: 'worker.yaml' },
);

function capsule(id: string, extra: string, steps: string): Resolved<Capsule> {
  const parsed = parseCapsule(
    `id: ${id}
version: 1.0.0
title: ${id}
description: d
type: ${steps.includes('capsule:') ? 'composite' : 'atomic'}
intent: i
deliverable: { description: d, format: text }
personas: { w: worker@^1 }
tools: [workspace.read, workspace.write]
budget: { tokens: 100000, costUsd: 5, wallTime: 1h }
${extra}
steps:
${steps}`,
    { file: `${id}.yaml` },
  );
  if (!parsed.value) throw new Error(JSON.stringify(parsed.diagnostics));
  return { value: parsed.value, source: parsed.source };
}

const leaf = (id: string, extra = '') =>
  capsule(id, extra, `  - id: a\n    persona: w\n    instruction: do it\n    tools: [workspace.read]\n`);

function resolverOf(...capsules: Array<Resolved<Capsule>>) {
  return createMemoryResolver({ capsules, personas: [{ value: PERSONA.value!, source: PERSONA.source }] });
}

describe('compileCapsule', () => {
  it('tightens guardrails through nested capsules (higher floor, union of denials, lower cap, host intersection)', async () => {
    const child = leaf(
      'demo.child',
      'guardrails: { minThreshold: 0.6, deniedTools: [delegate], maxSpendUsd: 9, allowedHosts: [a.example.com, b.example.com] }',
    );
    const parent = capsule(
      'demo.parent',
      'guardrails: { minThreshold: 0.8, deniedTools: [finish], maxSpendUsd: 4, allowedHosts: [b.example.com] }',
      `  - id: nested\n    capsule: demo.child@^1\n`,
    );
    const { plan, diagnostics } = await compileCapsule(parent.value, {
      resolver: resolverOf(child, parent),
      source: parent.source,
    });
    expect(diagnostics).toEqual([]);
    const nested = plan!.steps[0]!;
    expect(nested.kind === 'capsule' && nested.plan.guardrails).toEqual({
      minThreshold: 0.8,
      deniedTools: ['delegate', 'finish'],
      maxSpendUsd: 4,
      allowedHosts: ['b.example.com'],
    });
  });

  it('warns about http.request without allowed hosts, unless an enclosing capsule restricts them', async () => {
    const open = parseCapsule(
      `id: demo.http
version: 1.0.0
title: t
description: d
type: atomic
intent: i
deliverable: { description: d, format: text }
personas: { w: worker@^1 }
tools: [workspace.read, http.request]
budget: { tokens: 1000, costUsd: 1, wallTime: 1m }
steps: [{ id: a, persona: w, instruction: fetch, tools: [http.request] }]
`,
      { file: 'http.yaml' },
    );
    const child = { value: open.value!, source: open.source };
    const alone = await compileCapsule(child.value, { resolver: resolverOf(child), source: child.source });
    expect(alone.diagnostics.map((d) => [d.code, d.path, d.line, d.column])).toEqual([
      ['unrestricted-http', 'tools[1]', 9, 25],
    ]);
    const parent = capsule(
      'demo.http-parent',
      'guardrails: { allowedHosts: [api.example.com] }',
      `  - id: n\n    capsule: demo.http@^1\n`,
    );
    const nested = await compileCapsule(parent.value, {
      resolver: resolverOf(child, parent),
      source: parent.source,
    });
    expect(nested.diagnostics).toEqual([]);
  });

  it('finds cycles across three capsules and names the chain', async () => {
    const a = capsule('demo.a', '', `  - id: x\n    capsule: demo.b@^1\n`);
    const b = capsule('demo.b', '', `  - id: x\n    capsule: demo.c@^1\n`);
    const c = capsule('demo.c', '', `  - id: x\n    capsule: demo.a@^1\n`);
    const { plan, diagnostics } = await compileCapsule(a.value, {
      resolver: resolverOf(a, b, c),
      source: a.source,
    });
    expect(plan).toBeUndefined();
    expect(diagnostics).toEqual([
      expect.objectContaining({
        code: 'capsule-cycle',
        file: 'demo.c.yaml',
        path: 'steps[0].capsule',
        line: 14,
        column: 14,
        message: expect.stringContaining('demo.a → demo.b → demo.c → demo.a'),
      }),
    ]);
  });

  it('uses the same nested capsule twice without calling it a cycle', async () => {
    const child = leaf('demo.shared');
    const parent = capsule(
      'demo.twice',
      '',
      `  - id: one\n    capsule: demo.shared@^1\n  - id: two\n    capsule: demo.shared@^1\n    dependsOn: [one]\n`,
    );
    const { plan, diagnostics } = await compileCapsule(parent.value, { resolver: resolverOf(child, parent) });
    // Two children with 100k-token budgets inside a 100k budget: warned about, not an error.
    expect(diagnostics.map((d) => [d.severity, d.code, d.path])).toEqual([
      ['warning', 'budget-below-children', 'budget.costUsd'],
      ['warning', 'budget-below-children', 'budget.tokens'],
    ]);
    expect(plan!.layers).toEqual([['one'], ['two']]);
  });

  it('warns when a guardrail floor is not above the constitution θ', async () => {
    const c = leaf('demo.floor', 'guardrails: { minThreshold: 0.5 }');
    const { plan, diagnostics } = await compileCapsule(c.value, {
      resolver: resolverOf(c),
      source: c.source,
      constitutionThreshold: 0.7,
    });
    expect(plan).toBeDefined();
    expect(diagnostics).toEqual([
      expect.objectContaining({
        severity: 'warning',
        code: 'threshold-no-effect',
        path: 'guardrails.minThreshold',
        line: 11,
        column: 29,
      }),
    ]);
  });

  it('resolves the highest matching persona version and records its hash', async () => {
    const c = leaf('demo.persona');
    const older = parsePersona(
      `id: worker\nversion: 1.0.0\nname: Old\ndescription: d\nsystemPrompt: An older prompt for the same worker.\nmodel: { planning: a/b, implementation: a/c }\ntools: [workspace.read]\n`,
    );
    const resolver = chainResolvers(
      createMemoryResolver({ personas: [{ value: older.value!, source: older.source }] }),
      resolverOf(c),
    );
    // The chain stops at the first resolver that answers: the older template wins there.
    const { plan } = await compileCapsule(c.value, { resolver });
    expect(plan!.personas.w).toMatchObject({ id: 'worker', version: '1.0.0', name: 'Old' });
    const direct = await compileCapsule(c.value, { resolver: resolverOf(c) });
    expect(direct.plan!.personas.w).toMatchObject({
      version: '1.2.0',
      hash: expect.stringMatching(/^sha256:/),
    });
    expect(direct.plan!.personas.w!.model.review).toBe('openai/gpt-4.1-mini');
  });

  it("compiles the persona's trust into the plan, 0.5 when the template sets none", async () => {
    const c = leaf('demo.trust');
    const { plan } = await compileCapsule(c.value, { resolver: resolverOf(c) });
    expect(plan!.personas.w!.trust).toBe(DEFAULT_PERSONA_TRUST);
    expect(DEFAULT_PERSONA_TRUST).toBe(0.5);

    const vetted = parsePersona(
      `id: worker\nversion: 1.3.0\nname: Vetted\ndescription: d\nsystemPrompt: A vetted worker that may act on its own.\nmodel: { planning: a/b, implementation: a/c }\ntools: [workspace.read]\ntrust: 0.9\n`,
    );
    const trusted = await compileCapsule(c.value, {
      resolver: createMemoryResolver({ personas: [{ value: vetted.value!, source: vetted.source }] }),
    });
    expect(trusted.plan!.personas.w).toMatchObject({ version: '1.3.0', trust: 0.9 });
  });

  it('rejects a persona trust outside [0, 1], naming the field', () => {
    const parsed = parsePersona(
      `id: worker\nversion: 1.0.0\nname: W\ndescription: d\nsystemPrompt: A worker with an impossible trust.\nmodel: { planning: a/b, implementation: a/c }\ntrust: 1.5\n`,
    );
    expect(parsed.value).toBeUndefined();
    expect(parsed.diagnostics).toEqual([
      expect.objectContaining({ message: expect.stringContaining('expected a trust level from 0 to 1') }),
    ]);
    expect(JSON.stringify(parsed.diagnostics)).toContain('trust');
  });

  it('leaves trust out of a template that sets none, so its content hash stays as it was', () => {
    const withDefault = parsePersona(
      `id: worker\nversion: 1.0.0\nname: W\ndescription: d\nsystemPrompt: A worker that sets no trust at all.\nmodel: { planning: a/b, implementation: a/c }\n`,
    );
    expect(withDefault.value).not.toHaveProperty('trust');
  });

  it('points template errors at the exact character inside a literal block', async () => {
    const c = capsule(
      'demo.block',
      'params: { topic: { type: string } }',
      `  - id: a
    persona: w
    instruction: |
      First line about {{ params.topic }}.
      Second line with {{ params.nope }} in it.
`,
    );
    const { diagnostics } = await compileCapsule(c.value, { resolver: resolverOf(c), source: c.source });
    expect(diagnostics).toEqual([
      expect.objectContaining({
        code: 'unknown-variable',
        path: 'steps[0].instruction',
        line: 17,
        column: 24,
      }),
    ]);
  });
});

describe('templates', () => {
  it('renders values and step outputs', () => {
    const text =
      'Hi {{ params.name }}, see {{ steps.a.output.items[1] }} and {{ steps.a.output }}{{ missing.x }}.';
    expect(
      renderTemplate(text, { params: { name: 'Ada' }, steps: { a: { output: { items: ['x', 'y'] } } } }),
    ).toBe('Hi Ada, see y and {\n  "items": [\n    "x",\n    "y"\n  ]\n}.');
    expect(scanTemplate('{{ a b }}').problems).toHaveLength(1);
  });
});

describe('bindParams', () => {
  const specs = parseCapsule(
    `id: demo.p
version: 1.0.0
title: t
description: d
type: atomic
intent: i
deliverable: { description: d, format: text }
budget: { tokens: 1, costUsd: 1, wallTime: 1m }
params:
  repo: { type: string, pattern: '^[a-z]+/[a-z]+$' }
  count: { type: integer, default: 3, min: 1, max: 5 }
  mode: { type: enum, values: [fast, slow], default: fast }
steps: [{ id: a, persona: w, instruction: x }]
`,
  ).value!.params;

  it('applies defaults and accepts valid values', () => {
    expect(bindParams(specs, { repo: 'acme/app', count: 5 })).toEqual({
      values: { repo: 'acme/app', count: 5, mode: 'fast' },
      problems: [],
    });
  });

  it('names every problem: missing, unknown, wrong type, out of range', () => {
    expect(bindParams(specs, { count: 9, mode: 'turbo', moed: 'x' }).problems).toEqual([
      { param: 'moed', message: 'unknown parameter "moed"; did you mean "mode"?' },
      { param: 'repo', message: '"repo" is required' },
      { param: 'count', message: '"count" must be at most 5' },
      { param: 'mode', message: '"mode" must be one of "fast", "slow"' },
    ]);
  });
});
