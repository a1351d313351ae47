import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { run } from './run-cli';

const ROOT = path.join(__dirname, '../../..');
const LIBRARY = path.join(ROOT, 'capsules/library');
const BROKEN = path.join(ROOT, 'test/fixtures/capsules/broken');

describe('somagent capsule (no database needed)', () => {
  it('validate accepts the library and reports each file', async () => {
    const files = ['weekly-analytics-report.yaml', 'product-launch.yaml'].map((f) => path.join(LIBRARY, f));
    const { stdout, stderr, code } = await run('capsule', 'validate', ...files);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(
      /weekly-analytics-report\.yaml: ok analytics\.weekly-report@1\.0\.0 \(4 steps, sha256:[0-9a-f]{64}\)/,
    );
    expect(stdout).toMatch(/product-launch\.yaml: ok product\.launch@1\.0\.0 \(6 steps/);
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
    expect(lines.find((l) => /^1\s+design \[review\]\s+ui-designer@1\.0\.0/.test(l))).toBeDefined();
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
    expect(ok.stdout).toMatch(/engineer\.yaml: ok engineer@1\.0\.0 \(sha256:[0-9a-f]{64}\)/);
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
