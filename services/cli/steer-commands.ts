import { Client, Connection } from '@temporalio/client';
import type { Command } from 'commander';
import { approveSignal, cancelSignal, reviewSignal, statusQuery } from '../../workflows/shared/definitions';
import { loadConfig } from '../config';
import { createDataConverter } from '../payloads';
import { createPool } from '../postgres';

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

async function withClient<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const pool = createPool({ url: config.DATABASE_URL, max: 1, applicationName: 'somagent-cli' });
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
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
 * `somagent capsule status|approve|review|cancel <workflowId> …`: follow and steer a running
 * capsule run from a shell, with the same signals the Web UI and the gateway send. A decision on
 * an approval anywhere in the run goes to the root run, which routes it to the waiting persona.
 */
export function registerSteerCommands(capsule: Command): void {
  capsule
    .command('status <workflowId>')
    .description("print a run's status: phase, steps, pending approvals, usage")
    .action(async (workflowId: string) => {
      print(await withClient((client) => client.workflow.getHandle(workflowId).query(statusQuery)));
    });

  capsule
    .command('approve <workflowId> <approvalId>')
    .description('decide a pending approval (listed by `capsule status` and by `capsule run --wait`)')
    .option('--reject', 'reject instead of approving')
    .option('--by <name>', 'who decides (recorded in the audit)')
    .option('--comment <text>', 'why')
    .action(
      async (
        workflowId: string,
        approvalId: string,
        options: { reject?: boolean; by?: string; comment?: string },
      ) => {
        await withClient(async (client) => {
          const handle = client.workflow.getHandle(workflowId);
          const { pendingApprovals } = await handle.query(statusQuery);
          if (!pendingApprovals.some((a) => a.approvalId === approvalId)) {
            const open = pendingApprovals.map((a) => a.approvalId);
            throw new Error(
              `run ${workflowId} has no pending approval ${approvalId}` +
                (open.length > 0 ? `; pending: ${open.join(', ')}` : '; nothing is waiting for approval'),
            );
          }
          await handle.signal(approveSignal, {
            approvalId,
            approved: options.reject !== true,
            ...(options.by ? { by: options.by } : {}),
            ...(options.comment ? { comment: options.comment } : {}),
          });
        });
        print({ workflowId, approvalId, approved: options.reject !== true });
      },
    );

  capsule
    .command('review <workflowId> <stepId>')
    .description("pass or fail a step's review checkpoint")
    .option('--reject', 'fail the step instead of passing it')
    .option('--by <name>', 'reviewer (must be on the step’s reviewer list when it has one)')
    .option('--comment <text>', 'why')
    .action(
      async (
        workflowId: string,
        stepId: string,
        options: { reject?: boolean; by?: string; comment?: string },
      ) => {
        const verdict = options.reject ? 'reject' : 'approve';
        await withClient((client) =>
          client.workflow.getHandle(workflowId).signal(reviewSignal, {
            stepId,
            verdict,
            ...(options.by ? { by: options.by } : {}),
            ...(options.comment ? { comment: options.comment } : {}),
          }),
        );
        print({ workflowId, stepId, verdict });
      },
    );

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
