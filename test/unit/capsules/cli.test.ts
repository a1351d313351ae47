import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { run } from './run-cli';

const ROOT = path.join(__dirname, '../../..');
const LIBRARY = path.join(ROOT, 'capsules/library');
const BROKEN = path.join(ROOT, 'test/fixtures/capsules/broken');
const UNREADY = path.join(ROOT, 'test/fixtures/capsules/unready');
const PROVIDER_VARIABLES = ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'LOCAL_SLM_BASE_URL'];

/** Sets the provider variables (the rest unset) for one in-process CLI run. */
async function withProviders<T>(vars: Record<string, string>, work: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(PROVIDER_VARIABLES.map((v) => [v, process.env[v]]));
  for (const v of PROVIDER_VARIABLES) delete process.env[v];
  Object.assign(process.env, vars);
  try {
    return await work();
  } finally {
    for (const v of PROVIDER_VARIABLES) {
      if (saved[v] === undefined) delete process.env[v];
      else process.env[v] = saved[v];
    }
  }
}
const BOTH_KEYS = {
  OPENAI_API_KEY: 'sk-test-openai-0123456789',
  ANTHROPIC_API_KEY: 'sk-ant-test-0123456789',
};

describe('somagent capsule (no database needed)', () => {
  it('validate accepts the library and reports each file', async () => {
    const files = ['weekly-analytics-report.yaml', 'product-launch.yaml'].map((f) => path.join(LIBRARY, f));
    const { stdout, stderr, code } = await withProviders(BOTH_KEYS, () =>
      run('capsule', 'validate', ...files),
    );
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(
      /weekly-analytics-report\.yaml: ok analytics\.weekly-report@1\.0\.1 \(4 steps, sha256:[0-9a-f]{64}\)/,
    );
    expect(stdout).toMatch(/product-launch\.yaml: ok product\.launch@1\.0\.0 \(6 steps/);
  });

  it('validate warns per persona about a provider without a key, and still succeeds', async () => {
    const file = path.join(LIBRARY, 'product-launch.yaml');
    const { stdout, stderr, code } = await withProviders({ OPENAI_API_KEY: BOTH_KEYS.OPENAI_API_KEY }, () =>
      run('capsule', 'validate', file),
    );
    expect(code).toBe(0);
    expect(stdout).toMatch(/product-launch\.yaml: ok product\.launch@1\.0\.0/);
    const lines = stderr.trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.startsWith(`${file}: warning: persona `))).toBe(true);
    expect(lines).toContain(
      `${file}: warning: persona engineer@1.0.1 (in product.development@1.0.0): model anthropic/claude-sonnet-4-6 ` +
        'needs the "anthropic" provider: set ANTHROPIC_API_KEY (and ANTHROPIC_BASE_URL for a compatible server)',
    );
    expect(stderr).not.toContain('OPENAI_API_KEY');
    expect(stderr).not.toContain('sk-');
  });

  it('validate exits 1 on a model with no price, naming persona, model and the fix', async () => {
    const file = path.join(UNREADY, 'unpriced-model.yaml');
    const { stdout, stderr, code } = await withProviders(BOTH_KEYS, () => run('capsule', 'validate', file));
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim()).toBe(
      `${file}: error: persona guesser@1.0.0 (in demo.unpriced-model@1.0.0): model openai/gpt-unpriced has no price, ` +
        'so its calls are refused: add "openai/gpt-unpriced" to the price catalogue (capsules/prices.ts, ' +
        "or a deployment's createExecution({ prices })) or pick a priced model",
    );
  });

  it('plan prints the forecast and the same readiness report (and JSON carries it)', async () => {
    const file = path.join(UNREADY, 'unpriced-model.yaml');
    const table = await withProviders({}, () => run('capsule', 'plan', file));
    expect(table.code).toBe(1);
    expect(table.stdout).toContain('demo.unpriced-model@1.0.0');
    expect(table.stdout).toContain('unpriced models (cost counted as 0): openai/gpt-unpriced');
    expect(table.stderr).toContain('error: persona guesser@1.0.0');
    expect(table.stderr).toContain('warning: persona technical-writer@1.0.1');
    expect(table.stderr).toContain('set ANTHROPIC_API_KEY');
    const json = await withProviders(BOTH_KEYS, () =>
      run('capsule', 'plan', path.join(LIBRARY, 'meeting-summary.yaml'), '--json'),
    );
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).readiness).toEqual([]);
  });

  it('validate exits 1 and prints file:line:col path message', async () => {
    const file = path.join(BROKEN, 'unknown-dependency.yaml');
    const { stdout, stderr, code } = await run('capsule', 'validate', file);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain(
      `${file}:42:17 steps[1].dependsOn[0] step "write" depends on unknown step "reserch"; did you mean "research"?`,
    );
  });

  it('validate reports schema errors before compiling', async () => {
    const file = path.join(BROKEN, 'bad-cron.yaml');
    const { stderr, code } = await run('capsule', 'validate', file);
    expect(code).toBe(1);
    expect(stderr.trim()).toBe(
      `${file}:30:11 triggers[1].cron cron day of week "FUNDAY" is out of range 0-7`,
    );
  });

  it('plan prints a table with layers, personas, forecasts, budget and critical path', async () => {
    const { stdout, code } = await run('capsule', 'plan', path.join(LIBRARY, 'landing-page-builder.yaml'));
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[0]).toBe('web.landing-page@1.0.0  Landing page builder  (atomic)');
    expect(lines.find((l) => l.startsWith('LAYER'))).toMatch(
      /LAYER\s+STEP\s+PERSONA\s+MODEL\s+TOOLS\s+TOKENS\s+COST/,
    );
    expect(lines.find((l) => /^1\s+design \[review\]\s+ui-designer@1\.0\.1/.test(l))).toBeDefined();
    expect(stdout).toMatch(/^total: \S+ tokens \(90%: \S+–\S+\), \$\d+\.\d+/m);
    expect(stdout).toContain('critical path: architecture → design → build → final-check (4)');
    expect(stdout).toContain('budget: 400k tokens, $5.00, wall time 4 h — forecast fits');
  });

  it('plan --json prints the plan and a forecast whose total is the sum of its steps', async () => {
    const { stdout, code } = await run(
      'capsule',
      'plan',
      path.join(LIBRARY, 'meeting-summary.yaml'),
      '--json',
    );
    expect(code).toBe(0);
    const { plan, forecast } = JSON.parse(stdout);
    expect(plan.capsule.id).toBe('meetings.transcript-summary');
    expect(plan.layers).toEqual([['extract'], ['write-summary']]);
    const sum = forecast.steps.reduce((s: number, f: { tokens: { mean: number } }) => s + f.tokens.mean, 0);
    expect(forecast.tokens.mean).toBeCloseTo(sum, 6);
    expect(forecast.confidence).toBe(0.9);
  });

  it('plan refuses an unsupported confidence level', async () => {
    const { stderr, code } = await run(
      'capsule',
      'plan',
      path.join(LIBRARY, 'meeting-summary.yaml'),
      '--confidence',
      '0.5',
    );
    expect(code).toBe(2);
    expect(stderr).toContain('--confidence must be one of 0.8, 0.9, 0.95, 0.99');
  });

  it('persona validate checks templates', async () => {
    const ok = await run('persona', 'validate', path.join(LIBRARY, 'personas/engineer.yaml'));
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/engineer\.yaml: ok engineer@1\.0\.1 \(sha256:[0-9a-f]{64}\)/);
    const bad = await run('persona', 'validate', path.join(BROKEN, 'bad-cron.yaml'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/bad-cron\.yaml:1:1 systemPrompt missing required field "systemPrompt"/);
  });

  it('exits non-zero from the installed binary too', async () => {
    const bin = path.join(ROOT, 'bin/somagent.js');
    const exec = promisify(execFile);
    const failure = await exec(
      'node',
      [bin, 'capsule', 'validate', path.join(BROKEN, 'dependency-cycle.yaml')],
      { cwd: ROOT },
    ).catch((e: { code: number; stderr: string }) => e);
    expect((failure as { code: number }).code).toBe(1);
    expect((failure as { stderr: string }).stderr).toContain(
      'steps[0].dependsOn[0] dependency cycle: research → write → research',
    );
  }, 60_000);
});
