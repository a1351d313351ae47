import type { Command } from 'commander';
import { loadConfig, redactConfig } from '../config';
import { registerApproveCommands } from './approve-commands';
import { registerConstitutionCommands } from './constitution-commands';
import { registerEventCommands } from './events-commands';
import { registerExecutionCommands } from './execution-commands';
import { registerGatewayRunCommand } from './gateway-run-command';
import { registerMemoryCommands } from './memory-commands';
import { registerCapsuleCommands } from './capsule-commands';
import { registerPersonaCommands } from './persona-commands';
import { registerRunCommands } from './run-commands';
import { registerScheduleCommands } from './schedule-commands';
import { registerSteerCommands } from './steer-commands';
import { registerTokenCommands } from './token-commands';

/**
 * One registration function per domain, each in its own file (`capsule-commands.ts`,
 * `persona-commands.ts`, `constitution-commands.ts`, ...). Add new groups here.
 */
export function registerCommands(program: Command): void {
  program
    .command('config')
    .description('print the effective configuration with secrets redacted')
    .action(() => {
      process.stdout.write(`${JSON.stringify(redactConfig(loadConfig()), null, 2)}\n`);
    });
  registerConstitutionCommands(program);
  registerEventCommands(program);
  registerExecutionCommands(program);
  const capsule = registerCapsuleCommands(program);
  registerRunCommands(capsule);
  registerSteerCommands(capsule);
  registerApproveCommands(program, capsule);
  registerPersonaCommands(program);
  registerMemoryCommands(program);
  registerScheduleCommands(program);
  registerGatewayRunCommand(program);
  registerTokenCommands(program);
}
