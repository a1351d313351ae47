import { createHash } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { lstat, mkdir, open, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { ERROR_TYPES } from '../shared/error-types';
import { ToolError } from './tool-error';

export interface WorkspaceOptions {
  /** Directory under which every run gets its own workspace (created if missing). */
  root: string;
  /** Largest file read or written. @default 1048576 (1 MiB) */
  maxFileBytes?: number;
  /** Most entries `list` returns. @default 1000 */
  maxListEntries?: number;
}

export interface WorkspaceEntry {
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'other';
  size: number;
}

export interface Workspace {
  /** Absolute, real path of this run's directory. */
  readonly dir: string;
  read(input: { path: string }): Promise<{ path: string; content: string; bytes: number }>;
  write(input: { path: string; content: string }): Promise<{ path: string; bytes: number }>;
  list(input: {
    path?: string;
    recursive?: boolean;
  }): Promise<{ path: string; entries: WorkspaceEntry[]; truncated: boolean }>;
}

const escape = (p: string, why: string) =>
  new ToolError(
    ERROR_TYPES.PathEscape,
    `path "${p}" is outside the workspace: ${why}; use a relative path inside it`,
    {
      details: { path: p },
    },
  );

/** Directory name for a workspace id: readable, filesystem-safe, collision-free. */
function dirName(workspaceId: string): string {
  const safe = workspaceId.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80);
  return `${safe}-${createHash('sha256').update(workspaceId).digest('hex').slice(0, 12)}`;
}

function isInside(dir: string, target: string): boolean {
  return target === dir || target.startsWith(dir + path.sep);
}

/**
 * Per-run workspaces under one root. Every path is confined to the run's directory: absolute
 * paths and `..` segments are refused outright, and symlinks are resolved (realpath) so a link
 * cannot lead outside; writes open with O_NOFOLLOW so a link swapped in at the last moment fails.
 */
export function createWorkspaces({
  root,
  maxFileBytes = 1024 * 1024,
  maxListEntries = 1000,
}: WorkspaceOptions) {
  async function open_(workspaceId: string): Promise<Workspace> {
    await mkdir(root, { recursive: true });
    const realRoot = await realpath(root);
    const dir = path.join(realRoot, dirName(workspaceId));
    await mkdir(dir, { recursive: true });

    /** Lexical checks, then the resolved target (symlinks followed for what exists). */
    async function resolve(p: string, { forWrite = false } = {}): Promise<string> {
      if (p.includes('\0')) throw escape(p, 'it contains a NUL byte');
      if (path.isAbsolute(p) || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\'))
        throw escape(p, 'it is absolute');
      if (p.split(/[\\/]+/).includes('..')) throw escape(p, 'it contains ".."');
      const target = path.resolve(dir, p);
      if (!isInside(dir, target)) throw escape(p, 'it resolves outside');
      // Walk up to the nearest existing ancestor and check where it really is.
      let existing = target;
      for (;;) {
        try {
          const real = await realpath(existing);
          if (!isInside(dir, real)) throw escape(p, 'a symbolic link leads outside');
          break;
        } catch (err) {
          if (err instanceof ToolError) throw err;
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
          // A dangling symlink is ENOENT for realpath but still a link: refuse to write through it.
          const link = await lstat(existing).catch(() => undefined);
          if (link?.isSymbolicLink()) throw escape(p, 'it is a symbolic link to a missing target');
          if (!forWrite) {
            throw new ToolError(ERROR_TYPES.ToolFailed, `no such file or directory: ${p}`, {
              details: { path: p },
            });
          }
          existing = path.dirname(existing);
        }
      }
      return target;
    }

    const rel = (target: string) => path.relative(dir, target) || '.';

    return {
      dir,
      async read({ path: p }) {
        const target = await resolve(p);
        const info = await stat(target);
        if (!info.isFile())
          throw new ToolError(ERROR_TYPES.ToolFailed, `not a file: ${p}`, { details: { path: p } });
        if (info.size > maxFileBytes) {
          throw new ToolError(
            ERROR_TYPES.ToolFailed,
            `file ${p} has ${info.size} bytes, more than the ${maxFileBytes}-byte limit`,
            {
              details: { path: p, bytes: info.size, maxFileBytes },
            },
          );
        }
        const handle = await open(target, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
        try {
          const content = await handle.readFile('utf8');
          return { path: rel(target), content, bytes: Buffer.byteLength(content) };
        } finally {
          await handle.close();
        }
      },
      async write({ path: p, content }) {
        const bytes = Buffer.byteLength(content);
        if (bytes > maxFileBytes) {
          throw new ToolError(
            ERROR_TYPES.ToolFailed,
            `content has ${bytes} bytes, more than the ${maxFileBytes}-byte limit`,
            {
              details: { path: p, bytes, maxFileBytes },
            },
          );
        }
        const target = await resolve(p, { forWrite: true });
        if (target === dir)
          throw new ToolError(ERROR_TYPES.ToolFailed, 'cannot write to the workspace directory itself');
        await mkdir(path.dirname(target), { recursive: true });
        // mkdir may have raced with a symlink swap: check the parent once more, then refuse links.
        if (!isInside(dir, await realpath(path.dirname(target))))
          throw escape(p, 'a symbolic link leads outside');
        const handle = await open(
          target,
          fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_TRUNC | fsConstants.O_NOFOLLOW,
          0o644,
        ).catch((err: NodeJS.ErrnoException) => {
          if (err.code === 'ELOOP') throw escape(p, 'it is a symbolic link');
          throw err;
        });
        try {
          await handle.writeFile(content, 'utf8');
        } finally {
          await handle.close();
        }
        return { path: rel(target), bytes };
      },
      async list({ path: p = '.', recursive = false }) {
        const start = await resolve(p);
        const entries: WorkspaceEntry[] = [];
        let truncated = false;
        const walk = async (current: string): Promise<void> => {
          const items = await readdir(current, { withFileTypes: true });
          items.sort((a, b) => a.name.localeCompare(b.name));
          for (const item of items) {
            if (entries.length >= maxListEntries) {
              truncated = true;
              return;
            }
            const full = path.join(current, item.name);
            const type = item.isSymbolicLink()
              ? 'symlink'
              : item.isDirectory()
                ? 'directory'
                : item.isFile()
                  ? 'file'
                  : 'other';
            const size = type === 'file' ? (await lstat(full)).size : 0;
            entries.push({ path: rel(full), type, size });
            // Never descend through links: they may point outside.
            if (recursive && type === 'directory') await walk(full);
          }
        };
        if (!(await stat(start)).isDirectory()) {
          throw new ToolError(ERROR_TYPES.ToolFailed, `not a directory: ${p}`, { details: { path: p } });
        }
        await walk(start);
        return { path: rel(start), entries, truncated };
      },
    };
  }
  return { open: open_ };
}

export type Workspaces = ReturnType<typeof createWorkspaces>;
