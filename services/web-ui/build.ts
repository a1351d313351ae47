import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `npm run build:ui`: builds the Temporal Web UI app into services/web-ui/build unless the build is
 * newer than everything it is made of (its sources, its configs and the installed packages), so
 * `npm test` pays the ~90 s Vite build only after a change. `--force` always builds.
 */
const root = fileURLToPath(new URL('.', import.meta.url));
const repo = resolve(root, '../..');
const output = join(root, 'build', 'index.html');

function newest(path: string): number {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((latest, name) => Math.max(latest, newest(join(path, name))), stat.mtimeMs);
}

const inputs = [
  join(root, 'src'),
  ...['svelte.config.js', 'vite.config.js', 'tailwind.config.js', 'postcss.config.js', 'package.json'].map(
    (f) => join(root, f),
  ),
  join(repo, 'package-lock.json'),
];
const built = newest(output);
const force = process.argv.includes('--force');
if (!force && built > 0 && inputs.every((input) => newest(input) < built)) {
  process.stdout.write(`web-ui: ${output} is up to date\n`);
  process.exit(0);
}
const started = Date.now();
const vite = spawnSync(process.execPath, [join(repo, 'node_modules/vite/bin/vite.js'), 'build'], {
  cwd: root,
  stdio: 'inherit',
});
if (vite.status !== 0) {
  process.stderr.write(`web-ui: vite build failed (exit ${vite.status ?? vite.signal})\n`);
  process.exit(1);
}
process.stdout.write(`web-ui: built ${output} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
