import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runSomagent } from '../../../support/cli';
import { uniqueId } from '../../activities/helpers';

describe('somagent memory put / show / list', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'somagent-memory-'));
  });

  it('stores YAML structured and Markdown as text, resolves latest, and lists versions', async () => {
    const tenant = uniqueId('cli-mem');
    const kpis = path.join(dir, 'kpis.yaml');
    await writeFile(kpis, 'kpis:\n  - id: wau\n    unit: users\n');
    const notes = path.join(dir, 'notes.md');
    await writeFile(notes, '# Notes\n\nShip on Friday.\n');

    const stored = JSON.parse(
      await runSomagent(
        'memory',
        'put',
        'snapshot://team/kpis@2026-11-01',
        '--file',
        kpis,
        '--tenant',
        tenant,
      ),
    );
    expect(stored).toMatchObject({ status: 'stored', name: 'team/kpis', version: '2026-11-01', tenant });
    const again = JSON.parse(
      await runSomagent(
        'memory',
        'put',
        'snapshot://team/kpis@2026-11-01',
        '--file',
        kpis,
        '--tenant',
        tenant,
      ),
    );
    expect(again).toMatchObject({ status: 'unchanged', digest: stored.digest });
    await runSomagent(
      'memory',
      'put',
      'snapshot://team/kpis@2026-12-01',
      '--file',
      notes,
      '--tenant',
      tenant,
    );

    expect(
      JSON.parse(await runSomagent('memory', 'show', 'snapshot://team/kpis@2026-11-01', '--tenant', tenant)),
    ).toMatchObject({ content: { kpis: [{ id: 'wau', unit: 'users' }] } });
    expect(
      JSON.parse(await runSomagent('memory', 'show', 'snapshot://team/kpis', '--tenant', tenant)),
    ).toMatchObject({
      version: '2026-12-01',
      content: '# Notes\n\nShip on Friday.\n',
    });
    const listed = JSON.parse(await runSomagent('memory', 'list', '--tenant', tenant)) as Array<{
      version: string;
    }>;
    expect(listed.map((s) => s.version)).toEqual(['2026-12-01', '2026-11-01']);
  });

  it('refuses a bad reference, a latest version, a conflicting overwrite and a missing snapshot, saying why', async () => {
    const tenant = uniqueId('cli-mem');
    const file = path.join(dir, 'a.txt');
    await writeFile(file, 'a');
    await expect(runSomagent('memory', 'put', 's3://x@1', '--file', file)).rejects.toThrow(
      /<ref>: memory scheme "s3" is not supported/,
    );
    await expect(runSomagent('memory', 'put', 'snapshot://x@latest', '--file', file)).rejects.toThrow(
      /name the version to store/,
    );
    await runSomagent('memory', 'put', 'snapshot://x@1', '--file', file, '--tenant', tenant);
    await writeFile(file, 'b');
    await expect(
      runSomagent('memory', 'put', 'snapshot://x@1', '--file', file, '--tenant', tenant),
    ).rejects.toThrow(/already exists with other content .* store a new version/);
    await expect(runSomagent('memory', 'show', 'snapshot://nope', '--tenant', tenant)).rejects.toThrow(
      new RegExp(`tenant "${tenant}" has no snapshot snapshot://nope`),
    );
  });
});
