import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import type { Command } from 'commander';
import { bindParams, createCapsuleRegistry, type Capsule, type ParamSpec } from '../../capsules';
import { didYouMean } from '../../capsules/suggest';
import { describeFailure } from '../../workflows/failures';
import {
  formatBytes,
  inputFilesIssues,
  inputPathProblem,
  MAX_INPUT_FILE_BYTES,
  normalizeInputPath,
  type RunInputFile,
} from '../../workflows/shared/run-inputs';
import { DEFAULT_TENANT } from '../../workflows/shared/constants';
import type { CapsuleRunResult } from '../../workflows/shared/types';
import { loadConfig } from '../config';
import { cliConnectionOptions } from '../platform/temporal-auth';
import { createDataConverter, decodeUtf8, putFileBlob } from '../payloads';
import { followStepStates } from '../platform/sample-run';
import { createPool } from '../postgres';
import { CapsuleRunRequestError, startCapsuleRun } from '../runs';

/**
 * `somagent capsule run <ref>`: starts a capsule run from this machine as any remote client
 * would (Temporal client + the platform's data converter), with parameters and input files, and
 * optionally follows it to the end. Input files travel in the workflow input (`files`): small
 * ones inline, larger ones put into the payload store first and passed by `ref`, so the
 * workflow input stays readable in the Web UI.
 */

/** Files above this size go to the payload store and travel by `ref` (64 KiB). */
export const INLINE_FILE_MAX_BYTES = 64 * 1024;

/** A usage problem: printed without a stack, exit code 2. */
export class RunUsageError extends Error {
  override readonly name = 'RunUsageError';
}

const out = (text: string): void => void process.stdout.write(`${text}\n`);
const err = (text: string): void => void process.stderr.write(`${text}\n`);
const collect = (value: string, previous: string[] = []) => [...previous, value];

interface RunOptions {
  param?: string[];
  paramsJson?: string;
  file?: string[];
  tenant?: string;
  workflowId?: string;
  wait?: boolean;
  json?: boolean;
}

/** Registers `run` under the `capsule` command group. */
export function registerRunCommands(capsule: Command): void {
  capsule
    .command('run')
    .description('start a capsule run (with parameters and input files); --wait follows it to the end')
    .argument('<ref>', 'published capsule, id@range, e.g. meetings.transcript-summary@^1')
    .option('-p, --param <name=value>', 'a parameter value, typed by the capsule (repeatable)', collect)
    .option('--params-json <json>', 'parameters as one JSON object (--param wins on conflicts)')
    .option(
      '-f, --file <name=path>',
      'an input file from this machine: name is a workspace path (e.g. docs/notes.md), or the stem ' +
        'of a "...Path" parameter (transcript → transcriptPath), landing where that parameter points (repeatable)',
      collect,
    )
    .option('--tenant <tenant>', 'tenant of the run (default: "default")')
    .option('--workflow-id <id>', 'workflow id (default: <capsule id>-<random>)')
    .option('--wait', 'follow step states and print the result; exit code 1 unless the run completes')
    .option('--json', 'print JSON (progress lines go to stderr)')
    .action(async (ref: string, options: RunOptions) => {
      try {
        await runCapsule(ref, options);
      } catch (e) {
        if (!(e instanceof RunUsageError)) throw e;
        err(`capsule run: ${e.message}`);
        process.exitCode = 2;
      }
    });
}

async function runCapsule(ref: string, options: RunOptions): Promise<void> {
  if (!/^[^@\s]+@\S.*$/.test(ref)) {
    throw new RunUsageError(
      `expected a capsule reference id@range, e.g. meetings.transcript-summary@^1 (got "${ref}")`,
    );
  }
  const config = loadConfig();
  const pool = createPool({ url: config.DATABASE_URL, max: 2, applicationName: 'somagent-cli' });
  let connection: Connection | undefined;
  try {
    const registry = createCapsuleRegistry({ pool });
    const record = await registry.show<Capsule>('capsule', ref);
    if (!record) {
      throw new RunUsageError(
        `capsule ${ref} not found: no published, non-deprecated version matches in the registry at DATABASE_URL ` +
          '(publish it with `somagent capsule publish <file>`; `somagent capsule list` shows what is there)',
      );
    }
    const specs = record.document.params ?? {};
    const params = parseParams(specs, options);
    const files = await readInputFiles(specs, params, options.file ?? [], pool);
    const bound = bindParams(specs, params);
    if (bound.problems.length > 0) {
      throw new RunUsageError(
        `${record.id}@${record.version} ${bound.problems.map((p) => p.message).join('; ')}` +
          `; its parameters: ${describeParams(specs)}`,
      );
    }

    connection = await Connection.connect(await cliConnectionOptions(config));
    const client = new Client({
      connection,
      namespace: config.TEMPORAL_NAMESPACE,
      dataConverter: createDataConverter({ pool, thresholdBytes: config.PAYLOAD_CODEC_THRESHOLD_BYTES }),
    });
    let started: { workflowId: string; runId: string };
    try {
      started = await startCapsuleRun(
        { client, registry, taskQueue: config.TEMPORAL_TASK_QUEUE },
        {
          capsule: ref,
          params,
          files,
          tenant: options.tenant ?? DEFAULT_TENANT,
          trigger: { kind: 'manual', by: 'somagent capsule run' },
          resolved: record,
          ...(options.workflowId ? { workflowId: options.workflowId } : {}),
        },
      );
    } catch (e) {
      if (e instanceof CapsuleRunRequestError) throw new RunUsageError(e.message);
      throw e;
    }
    const { workflowId } = started;
    const handle = client.workflow.getHandle(workflowId, started.runId);
    const progress = options.json ? err : out;
    if (!options.wait) {
      if (options.json) out(JSON.stringify(started, null, 2));
      else out(`started ${ref} as workflow ${workflowId} (run ${started.runId})`);
      return;
    }
    progress(`started ${ref} as workflow ${workflowId} (run ${started.runId})`);
    let result: CapsuleRunResult;
    const follow = followStepStates(handle, (line) => progress(line));
    try {
      result = (await handle.result()) as CapsuleRunResult;
    } catch (e) {
      if (!(e instanceof WorkflowFailedError)) throw e;
      const failure = describeFailure(e.cause ?? e);
      process.exitCode = 1;
      if (options.json) {
        out(
          JSON.stringify(
            { ...started, status: 'failed', error: { type: failure.type, message: failure.message } },
            null,
            2,
          ),
        );
      } else {
        err(`run failed: ${failure.type}: ${failure.message}`);
      }
      return;
    } finally {
      await follow.stop();
    }
    if (result.status !== 'completed') process.exitCode = 1;
    if (options.json) {
      out(JSON.stringify(result, null, 2));
      return;
    }
    out(`run ${result.status}: ${result.usage.totalTokens} tokens, $${result.usage.costUsd.toFixed(4)}`);
    for (const [id, step] of Object.entries(result.steps)) {
      const shown = step.state === 'succeeded' ? step.output : step.error;
      out(`  ${id}: ${step.state}${shown === undefined ? '' : ` ${truncate(JSON.stringify(shown), 300)}`}`);
    }
  } finally {
    await connection?.close();
    await pool.end();
  }
}

/** `--params-json` then `--param name=value` (typed by the capsule's declared parameter). */
function parseParams(specs: Record<string, ParamSpec>, options: RunOptions): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  if (options.paramsJson !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(options.paramsJson);
    } catch (e) {
      throw new RunUsageError(`--params-json is not JSON: ${(e as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new RunUsageError(`--params-json must be a JSON object, e.g. '{"meetingTitle": "Board"}'`);
    }
    Object.assign(params, parsed);
  }
  for (const pair of options.param ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0)
      throw new RunUsageError(`--param ${pair}: expected name=value, e.g. --param meetingTitle=Board`);
    const name = pair.slice(0, at);
    params[name] = coerceParam(name, pair.slice(at + 1), specs[name]);
  }
  return params;
}

function coerceParam(name: string, value: string, spec: ParamSpec | undefined): unknown {
  switch (spec?.type) {
    case 'integer':
    case 'number': {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) {
        throw new RunUsageError(
          `--param ${name}=${value}: "${name}" is a ${spec.type}, e.g. --param ${name}=10`,
        );
      }
      return n;
    }
    case 'boolean':
      if (['true', 'yes', '1'].includes(value)) return true;
      if (['false', 'no', '0'].includes(value)) return false;
      throw new RunUsageError(`--param ${name}=${value}: "${name}" is a boolean: true or false`);
    case 'list':
      if (value.trim().startsWith('[')) {
        try {
          return JSON.parse(value) as unknown;
        } catch {
          throw new RunUsageError(`--param ${name}=${value}: not a JSON list; or give comma-separated items`);
        }
      }
      return value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean);
    default:
      // Strings, texts, enums, dates; unknown names stay strings and bindParams names them.
      return value;
  }
}

/** Parameters an input file can be named by: `<stem>Path` string parameters. */
function pathParams(
  specs: Record<string, ParamSpec>,
): Array<{ stem: string; param: string; spec: ParamSpec }> {
  return Object.entries(specs)
    .filter(([name, spec]) => /.Path$/.test(name) && (spec.type === 'string' || spec.type === 'text'))
    .map(([param, spec]) => ({ stem: param.slice(0, -'Path'.length), param, spec }));
}

/**
 * Where `--file name=...` lands. A name that is a `<stem>Path` parameter's stem (or the parameter
 * itself) lands where that parameter points (its given value, else its default, else
 * `inputs/<file name>`), and the parameter is set to that path so the capsule reads it. Any other
 * name with a `/` or `.` is a workspace path. Anything else is an unknown name.
 */
function targetOf(
  name: string,
  localPath: string,
  specs: Record<string, ParamSpec>,
  params: Record<string, unknown>,
): string {
  const candidates = pathParams(specs);
  const match = candidates.find((c) => c.stem === name || c.param === name);
  if (match) {
    const given = params[match.param];
    const target =
      typeof given === 'string'
        ? given
        : typeof match.spec.default === 'string'
          ? match.spec.default
          : `inputs/${path.basename(localPath)}`;
    params[match.param] = target;
    return target;
  }
  if (name.includes('/') || name.includes('.')) return name;
  const accepted = candidates.map((c) => {
    const at = typeof params[c.param] === 'string' ? params[c.param] : c.spec.default;
    return `${c.stem} (params.${c.param}${typeof at === 'string' ? `, lands at ${at}` : ''})`;
  });
  throw new RunUsageError(
    `--file ${name}=${localPath}: unknown input name "${name}"${didYouMean(
      name,
      candidates.map((c) => c.stem),
    )}. This capsule accepts ${accepted.length > 0 ? accepted.join(', ') : 'no named input files'}; ` +
      'or name a workspace path with a "/" or ".", e.g. --file docs/notes.md=./notes.md',
  );
}

async function readInputFiles(
  specs: Record<string, ParamSpec>,
  params: Record<string, unknown>,
  pairs: string[],
  pool: Parameters<typeof putFileBlob>[0]['pool'],
): Promise<RunInputFile[]> {
  const files: RunInputFile[] = [];
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0 || at === pair.length - 1) {
      throw new RunUsageError(`--file ${pair}: expected name=path, e.g. --file transcript=./notes.txt`);
    }
    const name = pair.slice(0, at);
    const localPath = pair.slice(at + 1);
    const target = targetOf(name, localPath, specs, params);
    const problem = inputPathProblem(target);
    if (problem) throw new RunUsageError(`--file ${pair}: workspace path ${problem}`);
    let bytes: Buffer;
    try {
      bytes = await readFile(localPath);
    } catch (e) {
      throw new RunUsageError(`--file ${pair}: cannot read ${localPath}: ${(e as Error).message}`);
    }
    if (bytes.byteLength > MAX_INPUT_FILE_BYTES) {
      throw new RunUsageError(
        `--file ${pair}: ${localPath} has ${bytes.byteLength} bytes, more than the ${formatBytes(MAX_INPUT_FILE_BYTES)} limit per input file`,
      );
    }
    const content = decodeUtf8(bytes);
    if (content === undefined) {
      throw new RunUsageError(`--file ${pair}: ${localPath} is not UTF-8 text; input files are text files`);
    }
    const workspacePath = normalizeInputPath(target);
    if (bytes.byteLength > INLINE_FILE_MAX_BYTES) {
      const { ref } = await putFileBlob({ pool, content: bytes });
      files.push({ path: workspacePath, ref });
    } else {
      files.push({ path: workspacePath, content });
    }
  }
  const issues = inputFilesIssues(files);
  if (issues.length > 0) {
    throw new RunUsageError(
      issues
        .map((i) => {
          // The shared checks name other files as `files.<index>`: name them as given here.
          const message = i.message.replace(/files\.(\d+)/g, (_, n: string) => `--file ${pairs[Number(n)]}`);
          const index = i.path[0];
          return typeof index === 'number' ? `--file ${pairs[index]}: ${message}` : message;
        })
        .join('; '),
    );
  }
  return files;
}

function describeParams(specs: Record<string, ParamSpec>): string {
  const entries = Object.entries(specs);
  if (entries.length === 0) return 'none';
  return entries
    .map(([name, spec]) => `${name} (${spec.type}${spec.default === undefined ? ', required' : ''})`)
    .join(', ');
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
