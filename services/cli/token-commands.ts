import os from 'node:os';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { APPROVE_CAPABILITY } from '../../activities/identity';
import { loadConfig } from '../config';
import { devKeySigner } from '../constitution/dev-key-token';

/**
 * `somagent token approval <approvalId>`: on a local platform, the stand-in for the identity
 * provider that issues approvers' tokens: signs one with this machine's development key (which
 * the worker trusts for approvals only when no AUTH_* keys are set). Refused in production, where
 * approval tokens come from the identity provider. `somagent approve` itself never mints.
 */

function ttl(value: string): number {
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 24 * 3600) {
    throw new InvalidArgumentError('--ttl must be whole seconds between 1 and 86400');
  }
  return seconds;
}

function decision(value: string): 'approve' | 'reject' {
  if (value !== 'approve' && value !== 'reject')
    throw new InvalidArgumentError('--decision must be approve or reject');
  return value;
}

export function registerTokenCommands(program: Command): void {
  const token = program.command('token').description('local development tokens (outside production only)');
  token
    .command('approval <approvalId>')
    .description(
      "print an approver's token for one approval (a review: <workflowId>:review:<stepId>), signed with the local development key; pipe it to `somagent approve <run> --token-file -`",
    )
    .requiredOption('--tenant <tenant>', "the run's tenant")
    .option('--subject <name>', 'who approves', `${os.userInfo().username}@${os.hostname()}`)
    .option('--decision <decision>', 'allow only this decision: approve or reject', decision)
    .option('--ttl <seconds>', 'lifetime', ttl, 600)
    .action(
      async (
        approvalId: string,
        options: { tenant: string; subject: string; decision?: 'approve' | 'reject'; ttl: number },
      ) => {
        const config = loadConfig();
        if (config.NODE_ENV === 'production') {
          throw new Error('refused in production: approval tokens come from your identity provider');
        }
        const sign = await devKeySigner(config.SOMAGENT_DATA_DIR);
        const jws = await sign(
          {
            tenant: options.tenant,
            scope: APPROVE_CAPABILITY,
            approval: approvalId,
            ...(options.decision ? { decision: options.decision } : {}),
          },
          {
            issuer: config.AUTH_ISSUER,
            audience: config.AUTH_AUDIENCE,
            subject: options.subject,
            ttlSeconds: options.ttl,
          },
        );
        process.stdout.write(`${jws}\n`);
      },
    );
}
