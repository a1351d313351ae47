import { spawn } from 'node:child_process';
import path from 'node:path';

/** What a finished `npm start -- --once` printed and how it exited. */
export interface PlatformRun {
  stdout: string;
  stderr: string;
  code: number | null;
}

/** This process's environment with `env` over it; a variable set to `undefined` is removed. */
function childEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const merged: NodeJS.ProcessEnv = { ...process.env };
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete merged[name];
    else merged[name] = value;
  }
  return merged;
}

/** `services/platform/main.ts` with `args` in a child process, its output collected. */
function spawnPlatform(
  args: string[],
  env: Record<string, string | undefined>,
  onStdout?: (soFar: string) => void,
) {
  const child = spawn(path.resolve('node_modules/.bin/tsx'), ['services/platform/main.ts', ...args], {
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => {
    output.stdout += chunk.toString();
    onStdout?.(output.stdout);
  });
  child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  const exited = new Promise<PlatformRun>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve({ ...output, code }));
  });
  return { child, output, exited };
}

/**
 * Runs `services/platform/main.ts --once` (what `npm start -- --once` runs) in a child process
 * with `env` over this process's environment; a variable set to `undefined` is removed.
 */
export function runPlatformOnce(
  env: Record<string, string | undefined>,
  /** Called with all of stdout so far, each time more arrives (to act while it runs). */
  onStdout?: (soFar: string) => void,
): Promise<PlatformRun> {
  return spawnPlatform(['--once'], env, onStdout).exited;
}

/** `npm start` in serve mode, in a child process. */
export interface ServingPlatform {
  /** Resolves with stdout so far once it contains `text` (rejects when the process exits first). */
  printed(text: string, timeoutMs?: number): Promise<string>;
  /** Ctrl-C: SIGINT, then how it exited. */
  stop(): Promise<PlatformRun>;
}

/** Starts `services/platform/main.ts` (`npm start`) serving, with `env` as for {@link runPlatformOnce}. */
export function servePlatform(env: Record<string, string | undefined>): ServingPlatform {
  const { child, output, exited } = spawnPlatform([], env);
  return {
    async printed(text, timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      while (!output.stdout.includes(text)) {
        const seen = `${output.stdout}\n${output.stderr}`;
        if (child.exitCode !== null)
          throw new Error(`npm start exited (${child.exitCode}) before printing "${text}":\n${seen}`);
        if (Date.now() > deadline)
          throw new Error(`npm start did not print "${text}" in ${timeoutMs} ms:\n${seen}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      return output.stdout;
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGINT');
      return exited;
    },
  };
}
