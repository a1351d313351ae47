import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run } from '../../unit/capsules/run-cli';
import { createCapsuleRegistry } from '../../../capsules/registry/registry-store';
import { testPool } from '../../support/pg';

const LIBRARY = path.join(__dirname, '../../../capsules/library');

describe('somagent capsule/persona against the registry', () => {
  let dir: string;
  const id = `x${randomUUID().slice(0, 8)}`;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'somagent-cli-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** A library document with a unique id, written to the temp folder. */
  async function variant(source: string, from: string, to: string, edit = (t: string) => t): Promise<string> {
    const text = edit((await readFile(path.join(LIBRARY, source), 'utf8')).replace(from, to));
    const file = path.join(dir, `${randomUUID()}.yaml`);
    await writeFile(file, text);
    return file;
  }

  it('publishes personas and capsules, lists and shows them, rejects a changed version, deprecates', async () => {
    const persona = await variant('personas/scribe.yaml', 'id: scribe', `id: scribe-${id}`);
    const capsule = await variant(
      'meeting-summary.yaml',
      'scribe: scribe@^1',
      `scribe: scribe-${id}@^1`,
      (t) => t.replace('id: meetings.transcript-summary', `id: meetings.${id}`),
    );

    // The capsule's persona is not published yet: publish fails and names the field.
    const early = await run('capsule', 'publish', capsule);
    expect(early.code).toBe(1);
    const lines = (await readFile(capsule, 'utf8')).split('\n');
    const line = lines.findIndex((l) => l.includes(`scribe: scribe-${id}@^1`)) + 1;
    const column = lines[line - 1]!.indexOf('scribe-') + 1;
    expect(early.stderr).toContain(
      `${capsule}:${line}:${column} personas.scribe.ref no persona version matches "scribe-${id}@^1"`,
    );

    const p = await run('persona', 'publish', persona, '--by', 'ci-test');
    expect(p.code).toBe(0);
    expect(p.stdout).toMatch(new RegExp(`published scribe-${id}@1\\.0\\.0 sha256:[0-9a-f]{64}`));

    const c = await run('capsule', 'publish', '--no-sync-schedules', capsule);
    expect(c.code).toBe(0);
    expect(c.stdout).toContain(`published meetings.${id}@1.0.0`);
    const again = await run('capsule', 'publish', '--no-sync-schedules', capsule);
    expect(again.stdout).toContain(`unchanged meetings.${id}@1.0.0`);

    const changed = await variant(
      'meeting-summary.yaml',
      'scribe: scribe@^1',
      `scribe: scribe-${id}@^1`,
      (t) =>
        t
          .replace('id: meetings.transcript-summary', `id: meetings.${id}`)
          .replace('tokens: 60000', 'tokens: 70000'),
    );
    const rejected = await run('capsule', 'publish', changed);
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toContain(
      `capsule meetings.${id}@1.0.0 is already published with different content`,
    );

    const list = await run('capsule', 'list');
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n')[0]).toMatch(/^ID\s+LATEST\s+TYPE\s+VERSIONS\s+TITLE$/);
    expect(list.stdout).toMatch(
      new RegExp(`meetings\\.${id}\\s+1\\.0\\.0\\s+utility\\s+1\\s+Meeting transcript summary`),
    );

    const show = await run('capsule', 'show', `meetings.${id}@^1`);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain(`# capsule meetings.${id}@1.0.0`);
    // The stored source is the file exactly as published.
    expect(show.stdout).toContain(await readFile(capsule, 'utf8'));

    const personaShow = await run('persona', 'show', `scribe-${id}`, '--json');
    expect(JSON.parse(personaShow.stdout)).toMatchObject({
      id: `scribe-${id}`,
      version: '1.0.0',
      publishedBy: 'ci-test',
    });

    const dep = await run('capsule', 'deprecate', `meetings.${id}@1.0.0`, '--reason', 'superseded');
    expect(dep.code).toBe(0);
    const gone = await run('capsule', 'show', `meetings.${id}@^1`);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('not found');
    const all = await run('capsule', 'list', '--all', '--json');
    expect(JSON.parse(all.stdout).find((e: { id: string }) => e.id === `meetings.${id}`)).toMatchObject({
      deprecated: true,
    });

    const missing = await run('persona', 'deprecate', `scribe-${id}@9.0.0`, '--reason', 'x');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`persona scribe-${id}@9.0.0 not found`);
  });

  it('plan --registry forecasts with coefficients learned for the scope', async () => {
    const file = path.join(LIBRARY, 'meeting-summary.yaml');
    const scope = `tenant-${id}`;
    const pool = testPool(1);
    try {
      // Runs of the scribe's summary steps used three times the default baseline.
      const registry = createCapsuleRegistry({ pool });
      const defaults = await registry.loadCoefficients(scope);
      for (let i = 0; i < 20; i++) {
        await registry.recordUsage(
          [
            {
              task: 'summary',
              personaId: 'scribe',
              promptTokens: 0,
              totalTokens: 3 * (defaults.baseline.summary.mean + defaults.defaultPersona.mean),
              toolCalls: {},
            },
          ],
          { scope },
        );
      }
    } finally {
      await pool.end();
    }
    const plain = JSON.parse((await run('capsule', 'plan', file, '--json')).stdout);
    const learned = JSON.parse(
      (await run('capsule', 'plan', file, '--json', '--registry', '--scope', scope)).stdout,
    );
    const step = (f: { steps: Array<{ stepId: string; components: { baseline: number } }> }) =>
      f.steps.find((s) => s.stepId === 'write-summary')!.components.baseline;
    expect(step(learned.forecast)).toBeGreaterThan(2.5 * step(plain.forecast));
    expect(learned.forecast.tokens.mean).toBeGreaterThan(plain.forecast.tokens.mean);
  });
});
