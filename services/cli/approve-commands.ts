import { readFile } from 'node:fs/promises';
import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import { decodeJwt } from 'jose';
import { approveSignal, reviewSignal, statusQuery } from '../../workflows/shared/definitions';
import { reviewApprovalId } from '../../workflows/shared/identity';
import { sendDecision, type ApprovalVerdict } from '../runs/approval-verdict';
import { withClient } from './steer-commands';

/**
 * `somagent approve <run> [approvalId] --token-file F` (also `somagent capsule approve`) and
 * `somagent capsule review <run> <step> --token-file F`: send a human decision with the
 * approver's own signed token, then wait until the run has verified it and say what it did. The
 * CLI mints nothing; in local identity mode a decision without a token counts as unverified.
 */

const JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** Reads a compact JWS from a file (`-`: stdin). @throws naming --token-file and what is wrong. */
export async function readTokenFile(path: string): Promise<string> {
  const text =
    path === '-'
      ? await readStdin()
      : await readFile(path, 'utf8').catch((err: unknown) => {
          throw new Error(
            `--token-file ${path}: cannot read it (${err instanceof Error ? err.message : String(err)})`,
          );
        });
  const token = text.trim();
  if (!JWS.test(token)) {
    throw new Error(
      `--token-file ${path}: expected one compact JWS (header.payload.signature), as your identity provider issues it`,
    );
  }
  return token;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The approval a token names in its `approval` claim (read, not verified: the run verifies). */
function approvalClaim(token: string): string | undefined {
  try {
    const claim = decodeJwt(token).approval;
    return typeof claim === 'string' ? claim : undefined;
  } catch {
    return undefined;
  }
}

interface DecisionOptions {
  reject?: boolean;
  by?: string;
  comment?: string;
  tokenFile?: string;
}

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

/** Prints the verdict; a refusal is an error (exit code 1) naming the run's reason. */
function report(base: Record<string, unknown>, verdict: ApprovalVerdict): void {
  if (verdict.outcome === 'refused') throw new Error(`the run refused the decision: ${verdict.reason}`);
  print({ ...base, ...verdict });
}

async function approve(
  client: Client,
  workflowId: string,
  approvalId: string | undefined,
  options: DecisionOptions,
) {
  const token = options.tokenFile ? await readTokenFile(options.tokenFile) : undefined;
  const handle = client.workflow.getHandle(workflowId);
  const { pendingApprovals } = await handle.query(statusQuery);
  const open = pendingApprovals.map((a) => a.approvalId);
  const id =
    approvalId ?? (token ? approvalClaim(token) : undefined) ?? (open.length === 1 ? open[0] : undefined);
  if (id === undefined) {
    throw new Error(
      `name the approval to decide: run ${workflowId} has ` +
        (open.length > 0 ? `these pending: ${open.join(', ')}` : 'nothing waiting for approval'),
    );
  }
  if (!open.includes(id)) {
    throw new Error(
      `run ${workflowId} has no pending approval ${id}` +
        (open.length > 0 ? `; pending: ${open.join(', ')}` : '; nothing is waiting for approval'),
    );
  }
  const verdict = await sendDecision(handle, id, () =>
    handle.signal(approveSignal, {
      approvalId: id,
      approved: options.reject !== true,
      ...(options.by ? { by: options.by } : {}),
      ...(options.comment ? { comment: options.comment } : {}),
      ...(token ? { token } : {}),
    }),
  );
  report({ workflowId, approvalId: id, approved: options.reject !== true }, verdict);
}

async function review(client: Client, workflowId: string, stepId: string, options: DecisionOptions) {
  const token = options.tokenFile ? await readTokenFile(options.tokenFile) : undefined;
  const handle = client.workflow.getHandle(workflowId);
  const verdict = options.reject ? 'reject' : 'approve';
  const outcome = await sendDecision(handle, reviewApprovalId(workflowId, stepId), () =>
    handle.signal(reviewSignal, {
      stepId,
      verdict,
      ...(options.by ? { by: options.by } : {}),
      ...(options.comment ? { comment: options.comment } : {}),
      ...(token ? { token } : {}),
    }),
  );
  report({ workflowId, stepId, verdict }, outcome);
}

const TOKEN_HELP =
  "the approver's signed token (JWS with scope capsule:approve, tenant, approval id, exp); - reads stdin";

function approveCommand(parent: Command, name: string): void {
  parent
    .command(`${name} <workflowId> [approvalId]`)
    .description(
      'decide a pending approval (listed by `capsule status`); the approval id may come from the token or be the only one pending',
    )
    .option('--token-file <path>', TOKEN_HELP)
    .option('--reject', 'reject instead of approving')
    .option('--by <name>', 'who decides (local mode without a token only; a token names its subject)')
    .option('--comment <text>', 'why')
    .action((workflowId: string, approvalId: string | undefined, options: DecisionOptions) =>
      withClient((client) => approve(client, workflowId, approvalId, options)),
    );
}

export function registerApproveCommands(program: Command, capsule: Command): void {
  approveCommand(program, 'approve');
  approveCommand(capsule, 'approve');
  capsule
    .command('review <workflowId> <stepId>')
    .description(
      "pass or fail a step's review checkpoint (the token's approval claim: <workflowId>:review:<stepId>)",
    )
    .option('--token-file <path>', TOKEN_HELP)
    .option('--reject', 'fail the step instead of passing it')
    .option('--by <name>', 'reviewer (local mode without a token only)')
    .option('--comment <text>', 'why')
    .action((workflowId: string, stepId: string, options: DecisionOptions) =>
      withClient((client) => review(client, workflowId, stepId, options)),
    );
}
