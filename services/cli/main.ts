import { Command } from 'commander';
import { registerCommands } from './commands';

/**
 * `somagent`: the operator's CLI. Each domain registers its own sub-commands (see commands.ts), so
 * this file only wires the program together and turns errors into exit codes.
 */
export function buildProgram(): Command {
  const program = new Command('somagent')
    .description('SomaGent: durable AI-agent workflows on Temporal')
    .showHelpAfterError()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  registerCommands(program);
  return program;
}

/**
 * Runs the CLI on `argv` (node's `process.argv` shape: the first two entries are skipped). A
 * failing command sets `process.exitCode` to 1; commander itself exits on `--help` (0) and on
 * unknown commands or options (1).
 */
export async function runCli(argv: readonly string[] = process.argv): Promise<void> {
  try {
    await buildProgram().parseAsync([...argv]);
  } catch (err) {
    process.stderr.write(`somagent: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}

// Run as a script (`npm run somagent`, `tsx services/cli/main.ts`). The installed entry,
// bin/somagent.js, calls runCli() itself: npm and npx start it through symlinks whose names say
// nothing about this file, so guessing from argv[1] is what failed before.
if (require.main === module) void runCli();
