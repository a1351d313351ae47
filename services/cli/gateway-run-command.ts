import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { status } from '@grpc/grpc-js';
import type { Command } from 'commander';
import { DEFAULT_TENANT } from '../../workflows/shared/constants';
import type { JsonValue } from '../../workflows/shared/types';
import { loadConfig } from '../config';
import { createCapsuleClient, GatewayCallError, type WatchEvent } from '../gateway';
import { localDevToken } from '../gateway/dev-token';
import { decodeUtf8 } from '../payloads';

/**
 * `somagent run <capsule>`: starts a run through the gateway, as any service would, and with
 * `--watch` follows it: a progress line (spinner, steps done, tokens, cost) on a terminal, one
 * line per change otherwise, the gate's decisions, and the result. Exit code 0 only when the run
 * completes; 2 for a refused request.
 */

const collect = (value: string, previous: string[] = []) => [...previous, value];
const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

interface GatewayRunOptions {
  param?: string[];
  file?: string[];
  paramsJson?: string;
  tenant?: string;
  requestId?: string;
  watch?: boolean;
  json?: boolean;
}

class UsageError extends Error {}

/**
 * `name=value` is a string, unless the value is a JSON number, boolean, list or object literal;
 * `name:=json` is always JSON (a string of digits: `title:='"2026"'`).
 */
export function parseGatewayParams(pairs: string[], paramsJson?: string): { [key: string]: JsonValue } {
  const params: { [key: string]: JsonValue } = {};
  if (paramsJson !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(paramsJson);
    } catch (e) {
      throw new UsageError(`--params-json is not JSON: ${(e as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new UsageError(`--params-json must be a JSON object, e.g. '{"meetingTitle": "Board"}'`);
    }
    Object.assign(params, parsed);
  }
  for (const pair of pairs) {
    const raw = /^([^=:]+):=(.*)$/s.exec(pair);
    if (raw) {
      try {
        params[raw[1]!] = JSON.parse(raw[2]!) as JsonValue;
      } catch (e) {
        throw new UsageError(`--param ${pair}: the value after := is not JSON: ${(e as Error).message}`);
      }
      continue;
    }
    const at = pair.indexOf('=');
    if (at <= 0)
      throw new UsageError(`--param ${pair}: expected name=value, e.g. --param meetingTitle=Board`);
    const value = pair.slice(at + 1);
    let typed: JsonValue = value;
    if (/^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|\[.*\]|\{.*\})$/s.test(value.trim())) {
      try {
        typed = JSON.parse(value) as JsonValue;
      } catch {
        typed = value;
      }
    }
    params[pair.slice(0, at)] = typed;
  }
  return params;
}

export function registerGatewayRunCommand(program: Command): void {
  program
    .command('run')
    .description('start a capsule run through the gateway (gRPC); --watch follows it to its result')
    .argument('<capsule>', 'published capsule, id@range, e.g. meetings.transcript-summary@^1')
    .option(
      '-p, --param <name=value>',
      'a parameter (JSON numbers, booleans, lists parsed; name:=json for raw JSON)',
      collect,
    )
    .option('--params-json <json>', 'parameters as one JSON object (--param wins on conflicts)')
    .option(
      '-f, --file <workspace-path=local-path>',
      'an input file, e.g. meetings/transcript.txt=./notes.txt (repeatable)',
      collect,
    )
    .option(
      '--tenant <tenant>',
      'tenant of the local development token (default "default"); a real token names its own',
    )
    .option('--request-id <id>', 'idempotency key: the same id returns the same run (default: a new UUID)')
    .option('-w, --watch', 'follow the run: progress, gate decisions, the result; exit 1 unless it completes')
    .option('--json', 'print JSON lines (one per event with --watch)')
    .action(async (capsule: string, options: GatewayRunOptions) => {
      try {
        process.exitCode = await gatewayRun(capsule, options);
      } catch (e) {
        if (e instanceof UsageError) {
          process.stderr.write(`run: ${e.message}\n`);
          process.exitCode = 2;
          return;
        }
        if (e instanceof GatewayCallError) {
          process.stderr.write(`run: ${e.codeName}: ${e.message}${e.field ? ` (field ${e.field})` : ''}\n`);
          process.exitCode = e.code === status.UNAVAILABLE ? 1 : 2;
          return;
        }
        throw e;
      }
    });
}

async function gatewayRun(capsule: string, options: GatewayRunOptions): Promise<number> {
  const config = loadConfig();
  const params = parseGatewayParams(options.param ?? [], options.paramsJson);
  const address = config.GATEWAY_ADDRESS ?? `127.0.0.1:${config.GATEWAY_PORT}`;
  const token =
    config.GATEWAY_TOKEN ??
    (config.NODE_ENV === 'production'
      ? undefined
      : await localDevToken({
          dataDir: config.SOMAGENT_DATA_DIR,
          issuer: config.AUTH_ISSUER,
          audience: config.AUTH_AUDIENCE,
          tenant: options.tenant ?? DEFAULT_TENANT,
        }));
  if (!token) throw new UsageError('set GATEWAY_TOKEN to a bearer token for the gateway');
  const client = createCapsuleClient({ address, token });
  const out = (line: string) => void process.stdout.write(`${line}\n`);
  try {
    const files = await Promise.all((options.file ?? []).map(readInputFile));
    const started = await client.startRun({
      capsule,
      params,
      files,
      requestId: options.requestId ?? randomUUID(),
    });
    if (options.json) out(JSON.stringify({ started }));
    else
      out(`started ${started.capsuleId}@${started.capsuleVersion} as ${started.workflowId} (via ${address})`);
    if (!options.watch) return 0;
    return await follow(client, started.workflowId, options.json === true, out);
  } finally {
    client.close();
  }
}

async function readInputFile(pair: string): Promise<{ path: string; content: string }> {
  const at = pair.indexOf('=');
  if (at <= 0 || at === pair.length - 1) {
    throw new UsageError(
      `--file ${pair}: expected workspace-path=local-path, e.g. --file meetings/transcript.txt=./notes.txt`,
    );
  }
  const bytes = await readFile(pair.slice(at + 1)).catch((e: Error) => {
    throw new UsageError(`--file ${pair}: cannot read ${pair.slice(at + 1)}: ${e.message}`);
  });
  const content = decodeUtf8(bytes);
  if (content === undefined)
    throw new UsageError(`--file ${pair}: not UTF-8 text; input files are text files`);
  return { path: pair.slice(0, at), content };
}

async function follow(
  client: ReturnType<typeof createCapsuleClient>,
  workflowId: string,
  json: boolean,
  out: (line: string) => void,
): Promise<number> {
  const tty = !json && process.stdout.isTTY === true;
  const steps = new Map<string, string>();
  let tokens = 0;
  let cost = 0;
  let frame = 0;
  const progress = () => {
    const done = [...steps.values()].filter((s) => ['succeeded', 'failed', 'skipped'].includes(s)).length;
    const running = [...steps]
      .filter(([, s]) => s === 'running' || s === 'awaiting_review')
      .map(([id]) => id);
    return `${SPINNER[frame++ % SPINNER.length]} steps ${done}/${steps.size} done${running.length ? ` · ${running.join(', ')}` : ''} · ${tokens} tokens · $${cost.toFixed(4)}`;
  };
  // On a terminal the progress line is redrawn in place; every other line is printed above it.
  const say = (line: string) => {
    if (tty) process.stdout.write(`\r\x1b[2K${line}\n${progress()}`);
    else out(line);
  };
  const ticker = tty ? setInterval(() => process.stdout.write(`\r\x1b[2K${progress()}`), 120) : undefined;
  let exit = 1;
  try {
    for await (const event of client.watch(workflowId)) {
      if (json) {
        out(JSON.stringify(event));
        if (event.kind === 'finished') exit = event.finished.status === 'COMPLETED' ? 0 : 1;
        continue;
      }
      exit = describe(event, { steps, say, workflowId }) ?? exit;
      if (event.kind === 'usage') {
        tokens = event.usage.totalTokens;
        cost = event.usage.costUsd;
      }
    }
  } finally {
    if (ticker) {
      clearInterval(ticker);
      process.stdout.write('\r\x1b[2K');
    }
  }
  return exit;
}

/** Prints one event for a human; returns the exit code once the run has finished. */
function describe(
  event: WatchEvent,
  { steps, say, workflowId }: { steps: Map<string, string>; say: (line: string) => void; workflowId: string },
): number | undefined {
  switch (event.kind) {
    case 'phase':
      if (event.phase.phase === 'awaiting_approval')
        say(`  run waits for approval: somagent capsule status ${workflowId}`);
      return undefined;
    case 'step': {
      if (!steps.has(event.step.stepId) && event.step.state !== 'running')
        steps.set(event.step.stepId, 'pending');
      steps.set(event.step.stepId, event.step.state);
      const reason = event.step.reason ? `: ${event.step.reason}` : '';
      say(`  step ${event.step.stepId}: ${event.step.state}${reason}`);
      return undefined;
    }
    case 'gateDecision': {
      const d = event.gateDecision;
      const what = d.toolId || d.activityType;
      const score = d.threshold > 0 ? ` score ${d.score.toFixed(3)} (θ ${d.threshold})` : '';
      const rules = d.rules.length > 0 ? ` rules ${d.rules.join(', ')}` : '';
      say(`  gate ${d.outcome.padEnd(8)} ${what}${score}${rules}`);
      return undefined;
    }
    case 'approval':
      if (event.approval.state === 'requested') {
        say(
          `  approval needed: ${event.approval.approval.reason} — somagent approve ${workflowId} ${event.approval.approval.approvalId} [--token-file <approver's JWS>]`,
        );
      } else {
        say(`  approval ${event.approval.approval.approvalId}: ${event.approval.state}`);
      }
      return undefined;
    case 'usage':
      return undefined;
    case 'finished': {
      const { status, result, failure } = event.finished;
      const usage = (result?.usage ?? null) as { totalTokens?: number; costUsd?: number } | null;
      say(
        `run ${status.toLowerCase()}${usage ? `: ${usage.totalTokens ?? 0} tokens, $${(usage.costUsd ?? 0).toFixed(4)}` : ''}`,
      );
      if (failure) say(`  ${failure.type}: ${failure.message}`);
      const resultSteps = (result?.steps ?? {}) as Record<
        string,
        { state: string; output?: JsonValue; error?: JsonValue }
      >;
      for (const [id, step] of Object.entries(resultSteps)) {
        const shown = step.state === 'succeeded' ? step.output : step.error;
        const text = shown === undefined ? '' : ` ${JSON.stringify(shown)}`;
        say(`  ${id}: ${step.state}${text.length > 300 ? `${text.slice(0, 299)}…` : text}`);
      }
      return status === 'COMPLETED' ? 0 : 1;
    }
  }
}
