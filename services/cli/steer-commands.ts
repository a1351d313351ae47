import { Client, Connection } from '@temporalio/client';
import type { Command } from 'commander';
import { cancelSignal, statusQuery } from '../../workflows/shared/definitions';
import { loadConfig } from '../config';
import { cliConnectionOptions } from '../platform/temporal-auth';
import { createDataConverter } from '../payloads';
import { createPool } from '../postgres';

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

export async function withClient<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const pool = createPool({ url: config.DATABASE_URL, max: 1, applicationName: 'somagent-cli' });
  const connection = await Connection.connect(await cliConnectionOptions(config));
  try {
    const client = new Client({
      connection,
      namespace: config.TEMPORAL_NAMESPACE,
      dataConverter: createDataConverter({ pool, thresholdBytes: config.PAYLOAD_CODEC_THRESHOLD_BYTES }),
    });
    return await work(client);
  } finally {
    await connection.close();
    await pool.end();
  }
}

/**
 * `somagent capsule status|cancel <workflowId> …`: follow and steer a running capsule run from a
 * shell, with the same signals the Web UI and the gateway send (approve and review: see
 * approve-commands.ts).
 */
export function registerSteerCommands(capsule: Command): void {
  capsule
    .command('status <workflowId>')
    .description("print a run's status: phase, steps, pending approvals, usage")
    .action(async (workflowId: string) => {
      print(await withClient((client) => client.workflow.getHandle(workflowId).query(statusQuery)));
    });

  capsule
    .command('cancel <workflowId>')
    .description('cancel a run: running steps are cancelled, pending ones skipped; it ends Cancelled')
    .option('--reason <text>', 'why (kept in the run result)')
    .option('--by <name>', 'who cancels')
    .action(async (workflowId: string, options: { reason?: string; by?: string }) => {
      await withClient((client) =>
        client.workflow.getHandle(workflowId).signal(cancelSignal, {
          ...(options.reason ? { reason: options.reason } : {}),
          ...(options.by ? { by: options.by } : {}),
        }),
      );
      print({ workflowId, cancelled: true });
    });
}
