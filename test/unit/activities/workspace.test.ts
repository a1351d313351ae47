import { mkdtemp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ERROR_TYPES } from '../../../activities/shared/error-types';
import { ToolError } from '../../../activities/tools/tool-error';
import { createWorkspaces } from '../../../activities/tools/workspace';

async function errorOf(promise: Promise<unknown>): Promise<ToolError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ToolError);
  return err as ToolError;
}

describe('workspace confinement and file operations', () => {
  let root: string;
  let outside: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'somagent-ws-'));
    outside = await mkdtemp(path.join(os.tmpdir(), 'somagent-outside-'));
    await writeFile(path.join(outside, 'secret.txt'), 'top secret');
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  it('writes, reads and lists inside the run directory, creating folders', async () => {
    const ws = await createWorkspaces({ root }).open('wf-1');
    expect(await ws.write({ path: 'src/notes/a.md', content: 'héllo' })).toEqual({
      path: 'src/notes/a.md',
      bytes: 6,
    });
    expect(await ws.read({ path: 'src/notes/a.md' })).toEqual({
      path: 'src/notes/a.md',
      content: 'héllo',
      bytes: 6,
    });
    expect(await readFile(path.join(ws.dir, 'src/notes/a.md'), 'utf8')).toBe('héllo');
    await ws.write({ path: 'top.txt', content: 'x' });
    expect((await ws.list({})).entries).toEqual([
      { path: 'src', type: 'directory', size: 0 },
      { path: 'top.txt', type: 'file', size: 1 },
    ]);
    expect((await ws.list({ recursive: true })).entries.map((e) => e.path)).toEqual([
      'src',
      path.join('src', 'notes'),
      path.join('src', 'notes', 'a.md'),
      'top.txt',
    ]);
    expect((await ws.list({ path: 'src/notes' })).entries.map((e) => e.path)).toEqual([
      path.join('src', 'notes', 'a.md'),
    ]);
  });

  it('isolates runs from each other', async () => {
    const workspaces = createWorkspaces({ root });
    const a = await workspaces.open('run/a');
    const b = await workspaces.open('run:a'); // sanitizes to the same readable part, but differs
    await a.write({ path: 'f.txt', content: 'A' });
    expect(a.dir).not.toBe(b.dir);
    const err = await errorOf(b.read({ path: 'f.txt' }));
    expect(err.type).toBe(ERROR_TYPES.ToolFailed);
  });

  it.each([
    ['../escape.txt', 'contains ".."'],
    ['a/../../escape.txt', 'contains ".."'],
    ['a\\..\\..\\escape.txt', 'contains ".."'],
    ['/etc/passwd', 'absolute'],
    ['C:\\Windows\\win.ini', 'absolute'],
    ['bad\0name', 'NUL'],
  ])('refuses %j (%s)', async (p, why) => {
    const ws = await createWorkspaces({ root }).open('wf');
    for (const op of [ws.read({ path: p }), ws.write({ path: p, content: 'x' }), ws.list({ path: p })]) {
      const err = await errorOf(op);
      expect(err.type).toBe(ERROR_TYPES.PathEscape);
      expect(err.message).toContain(why);
    }
  });

  it('refuses symlinks that lead outside: to a file, to a folder, and dangling ones', async () => {
    const ws = await createWorkspaces({ root }).open('wf');
    await symlink(path.join(outside, 'secret.txt'), path.join(ws.dir, 'link.txt'));
    await symlink(outside, path.join(ws.dir, 'out'));
    await symlink(path.join(outside, 'not-yet.txt'), path.join(ws.dir, 'dangling.txt'));

    expect((await errorOf(ws.read({ path: 'link.txt' }))).type).toBe(ERROR_TYPES.PathEscape);
    expect((await errorOf(ws.read({ path: 'out/secret.txt' }))).type).toBe(ERROR_TYPES.PathEscape);
    expect((await errorOf(ws.write({ path: 'out/new.txt', content: 'x' }))).type).toBe(
      ERROR_TYPES.PathEscape,
    );
    expect((await errorOf(ws.write({ path: 'link.txt', content: 'pwned' }))).type).toBe(
      ERROR_TYPES.PathEscape,
    );
    expect((await errorOf(ws.write({ path: 'dangling.txt', content: 'pwned' }))).type).toBe(
      ERROR_TYPES.PathEscape,
    );
    expect((await errorOf(ws.list({ path: 'out' }))).type).toBe(ERROR_TYPES.PathEscape);

    expect(await readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('top secret');
    await expect(readFile(path.join(outside, 'new.txt'))).rejects.toThrow();
    await expect(readFile(path.join(outside, 'not-yet.txt'))).rejects.toThrow();
    // Listing shows links as links and never descends into them.
    const listed = await ws.list({ recursive: true });
    expect(listed.entries.filter((e) => e.type === 'symlink').map((e) => e.path)).toEqual([
      'dangling.txt',
      'link.txt',
      'out',
    ]);
    expect(listed.entries.some((e) => e.path.includes('secret'))).toBe(false);
  });

  it('allows symlinks that stay inside the workspace', async () => {
    const ws = await createWorkspaces({ root }).open('wf');
    await ws.write({ path: 'docs/real.md', content: 'inside' });
    await symlink(path.join(ws.dir, 'docs'), path.join(ws.dir, 'alias'));
    expect((await ws.read({ path: 'alias/real.md' })).content).toBe('inside');
  });

  it('enforces the file size limit both ways and reports missing files clearly', async () => {
    const ws = await createWorkspaces({ root, maxFileBytes: 10 }).open('wf');
    expect((await errorOf(ws.write({ path: 'big.txt', content: 'x'.repeat(11) }))).message).toContain(
      '10-byte limit',
    );
    await mkdir(path.join(ws.dir, 'd'));
    await writeFile(path.join(ws.dir, 'd', 'big.txt'), 'y'.repeat(20));
    expect((await errorOf(ws.read({ path: 'd/big.txt' }))).message).toContain('20 bytes');
    const missing = await errorOf(ws.read({ path: 'nope.txt' }));
    expect(missing.type).toBe(ERROR_TYPES.ToolFailed);
    expect(missing.message).toContain('nope.txt');
  });

  it('caps list output', async () => {
    const ws = await createWorkspaces({ root, maxListEntries: 3 }).open('wf');
    for (let i = 0; i < 5; i++) await ws.write({ path: `f${i}.txt`, content: '' });
    const listed = await ws.list({});
    expect(listed.entries).toHaveLength(3);
    expect(listed.truncated).toBe(true);
  });
});
