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

if (require.main === module || process.argv[1]?.endsWith('somagent.js')) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      process.stderr.write(`somagent: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    });
}
