import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.join(__dirname, '../../../..');
const BIN = path.join(ROOT, 'bin/somagent.js');

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion and returns its exit code and output (never throws on exit ≠ 0). */
function spawn(
  file: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      // Offline: every form here runs this checkout, so npm/npx must never reach a registry.
      {
        cwd: options.cwd,
        env: { ...process.env, npm_config_offline: 'true', ...options.env },
        timeout: 60_000,
      },
      (err, stdout, stderr) => {
        const code = err ? err.code : 0;
        // A string code (ENOENT, ...) means it never ran: that is a failure of the test itself.
        if (typeof code === 'number') resolve({ code, stdout, stderr });
        else reject(new Error(`${file} did not run: ${String(code)}`, { cause: err }));
      },
    );
  });
}

/** What `somagent --help` must show: the usage line and the command groups. */
function expectHelp(outcome: Outcome): void {
  expect({ code: outcome.code, stderr: outcome.stderr }).toEqual({ code: 0, stderr: '' });
  expect(outcome.stdout).toContain('Usage: somagent [options] [command]');
  for (const command of ['config', 'capsule', 'persona', 'constitution', 'budget']) {
    expect(outcome.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
  }
}

function expectUnknownCommand(outcome: Outcome): void {
  expect(outcome.code).not.toBe(0);
  expect(outcome.stderr).toContain("error: unknown command 'no-such-command'");
}

describe('the somagent CLI, however it is started', () => {
  let scratch: string;
  let pathBin: string;
  beforeAll(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'somagent-cli-'));
    pathBin = path.join(scratch, 'path-bin');
    await mkdir(pathBin);
    await symlink(BIN, path.join(pathBin, 'somagent'));
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  // Each form: [name, how to run `somagent <args>`]. Started from another directory where that
  // is how the form is used, so nothing depends on the checkout being the working directory.
  const forms: Array<[string, (args: string[]) => Promise<Outcome>]> = [
    ['npx somagent', (args) => spawn('npx', ['somagent', ...args], { cwd: ROOT })],
    [
      'npm run somagent --',
      (args) => spawn('npm', ['run', '--silent', 'somagent', '--', ...args], { cwd: ROOT }),
    ],
    ['node bin/somagent.js', (args) => spawn('node', [BIN, ...args], { cwd: ROOT })],
    [
      'a symlink named somagent on the PATH, from another directory',
      (args) =>
        spawn('somagent', args, {
          cwd: os.tmpdir(),
          env: { PATH: `${pathBin}${path.delimiter}${process.env.PATH ?? ''}` },
        }),
    ],
  ];

  it.each(forms)('%s --help prints the commands and exits 0', async (_name, run) => {
    expectHelp(await run(['--help']));
  });

  it.each(forms)('%s with an unknown command exits non-zero', async (_name, run) => {
    expectUnknownCommand(await run(['no-such-command']));
  });

  it('an installed global bin (npm install -g of the checkout into a prefix) works from anywhere', async () => {
    const prefix = path.join(scratch, 'global');
    const install = await spawn(
      'npm',
      ['install', '--global', '--prefix', prefix, '--ignore-scripts', '--no-audit', '--no-fund', ROOT],
      { cwd: scratch },
    );
    expect({ code: install.code, stderr: install.stderr }).toMatchObject({ code: 0 });
    const bin = path.join(prefix, 'bin', 'somagent');
    expectHelp(await spawn(bin, ['--help'], { cwd: os.tmpdir() }));
    expectUnknownCommand(await spawn(bin, ['no-such-command'], { cwd: os.tmpdir() }));
  });

  it('a command that fails exits 1 with its message (runCli, not commander, reports it)', async () => {
    const outcome = await spawn('node', [BIN, 'budget', 'set', 'some-tenant', '-3'], { cwd: ROOT });
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toBe(
      'somagent: limit: expected a non-negative amount in USD (e.g. 25.50) or "none", got "-3"\n',
    );
  });
});
