import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import { z } from 'zod';
import type { Logger } from '../../services/logger';
import { decodeUtf8, FileBlobError, readFileBlob } from '../../services/payloads';
import {
  formatBytes,
  INPUT_FILE_REF_HINT,
  INPUT_FILE_REF_PATTERN,
  inputFilesIssues,
  inputPathProblem,
  MAX_INPUT_FILE_BYTES,
  MAX_INPUT_FILES,
  normalizeInputPath,
  type RunInputFile,
} from '../../workflows/shared/run-inputs';
import { ERROR_TYPES } from '../shared/error-types';
import { failure, parseInput } from '../shared/failures';
import { ToolError } from './tool-error';
import type { Workspaces } from './workspace';

/** Activity type that writes a run's input files (the gate and the workflow name it). */
export const RUN_INPUTS_ACTIVITY = 'writeRunInputs';

/**
 * How the constitution gate sees `writeRunInputs`: a call of the tool `workspace.inputs`, a
 * low-risk filesystem write without egress. It is not in the tool registry (personas cannot call
 * it); the worker adds it to the gate's catalog. A capsule may still deny it by id
 * (`guardrails.deniedTools: [workspace.inputs]`) or require approval for it.
 */
export const RUN_INPUTS_TOOL = {
  id: 'workspace.inputs',
  risk: 'low',
  category: 'filesystem',
  writes: true,
  egress: false,
} as const;

const inputFileSchema = z.union([
  z.strictObject({ path: z.string(), content: z.string() }),
  z.strictObject({ path: z.string(), ref: z.string().regex(INPUT_FILE_REF_PATTERN, INPUT_FILE_REF_HINT) }),
]);

export const writeRunInputsInputSchema = z.strictObject({
  /** The run's workspace: the root run's workflow id, as personas' tools use. */
  workspaceId: z.string().min(1),
  files: z
    .array(inputFileSchema)
    .min(1)
    .max(MAX_INPUT_FILES)
    .superRefine((files, ctx) => {
      files.forEach((file, index) => {
        const problem = inputPathProblem(file.path);
        if (problem) ctx.addIssue({ code: 'custom', path: [index, 'path'], message: problem });
      });
      for (const issue of inputFilesIssues(files)) {
        ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
      }
    }),
});

export type WriteRunInputsInput = z.input<typeof writeRunInputsInputSchema>;

/** One file as written. */
export interface WrittenRunInput {
  /** Normalised workspace path. */
  path: string;
  bytes: number;
  /** `sha256:<hex>` of the bytes written. */
  digest: string;
  source: 'inline' | 'ref';
}

export interface WriteRunInputsResult {
  files: WrittenRunInput[];
}

export interface RunInputActivitiesDeps {
  workspaces: Workspaces;
  /** The payload store holding `ref` files. */
  pool: Pool;
  logger: Logger;
}

const sha256 = (text: string) => `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;

/**
 * `writeRunInputs`: the input files of a capsule run into its workspace, before the first step.
 * Idempotent: every attempt and every re-run resolves the same content (inline, or a
 * content-addressed blob checked against its hash) and overwrites the same paths with the same
 * bytes. All files are resolved and checked before the first is written, so a bad ref writes
 * nothing. File contents are never logged.
 */
export function createRunInputActivities({ workspaces, pool, logger }: RunInputActivitiesDeps) {
  const log = logger.child({ component: 'run-inputs' });

  async function contentOf(file: RunInputFile, index: number): Promise<string> {
    if ('content' in file) return file.content;
    let bytes: Uint8Array;
    try {
      bytes = await readFileBlob({ pool, ref: file.ref });
    } catch (err) {
      if (!(err instanceof FileBlobError)) throw err;
      throw failure(ERROR_TYPES.RunInputInvalid, `files.${index} (${file.path}): ${err.message}`, {
        cause: err,
        details: { index, path: file.path, ref: file.ref },
      });
    }
    if (bytes.byteLength > MAX_INPUT_FILE_BYTES) {
      throw failure(
        ERROR_TYPES.RunInputInvalid,
        `files.${index} (${file.path}): ${file.ref} has ${bytes.byteLength} bytes, more than the ` +
          `${formatBytes(MAX_INPUT_FILE_BYTES)} limit per input file (what workspace.read reads at most)`,
        { details: { index, path: file.path, ref: file.ref, bytes: bytes.byteLength } },
      );
    }
    const text = decodeUtf8(bytes);
    if (text === undefined) {
      throw failure(
        ERROR_TYPES.RunInputInvalid,
        `files.${index} (${file.path}): ${file.ref} is not UTF-8 text; input files are text files`,
        { details: { index, path: file.path, ref: file.ref } },
      );
    }
    return text;
  }

  return {
    /** Writes the run's input files into its workspace (see {@link createRunInputActivities}). */
    async writeRunInputs(rawInput: WriteRunInputsInput): Promise<WriteRunInputsResult> {
      const input = parseInput(writeRunInputsInputSchema, rawInput, RUN_INPUTS_ACTIVITY);
      const contents: string[] = [];
      for (const [index, file] of input.files.entries()) contents.push(await contentOf(file, index));
      const workspace = await workspaces.open(input.workspaceId);
      const written: WrittenRunInput[] = [];
      for (const [index, file] of input.files.entries()) {
        const path = normalizeInputPath(file.path);
        const content = contents[index]!;
        try {
          const result = await workspace.write({ path, content });
          written.push({
            path: result.path,
            bytes: result.bytes,
            digest: sha256(content),
            source: 'content' in file ? 'inline' : 'ref',
          });
        } catch (err) {
          if (!(err instanceof ToolError)) throw err;
          throw failure(err.type, `files.${index} (${file.path}): ${err.message}`, {
            cause: err,
            details: { index, path: file.path },
          });
        }
      }
      log.info(
        {
          workspaceId: input.workspaceId,
          files: written.length,
          bytes: written.reduce((sum, f) => sum + f.bytes, 0),
        },
        'run input files written',
      );
      return { files: written };
    },
  };
}

export type RunInputActivities = ReturnType<typeof createRunInputActivities>;

/**
 * The tool call the gate judges for a `writeRunInputs` input: tool {@link RUN_INPUTS_TOOL}, and as
 * arguments each file's path with the digest of its inline content (or its ref). Not the content
 * itself: a file landing in the workspace contacts no host a transcript mentions, so scanning it
 * would score a local write as egress; the digest still pins the exact bytes in the audit record.
 */
export function runInputsToolCall(input: unknown): { toolId: string; args: unknown } {
  const files = (input as { files?: unknown } | null)?.files;
  const args = Array.isArray(files)
    ? {
        files: files.map((file: unknown) => {
          const f = (file ?? {}) as { path?: unknown; content?: unknown; ref?: unknown };
          return typeof f.content === 'string'
            ? { path: f.path, digest: sha256(f.content) }
            : { path: f.path, ref: f.ref };
        }),
      }
    : null;
  return { toolId: RUN_INPUTS_TOOL.id, args };
}
