/**
 * Input files of a capsule run (`CapsuleWorkflowInput.files`): the limits and the pure checks the
 * workflow input schema, the `writeRunInputs` activity and the CLI share, so a path or size the
 * CLI accepts is one the run accepts. Pure: safe in the workflow sandbox, in workers and clients.
 */

/** Largest input file, in UTF-8 bytes: what `workspace.read` reads at most (1 MiB). */
export const MAX_INPUT_FILE_BYTES = 1024 * 1024;
/** Most input files one run takes. */
export const MAX_INPUT_FILES = 64;
/**
 * Largest total of inline `content` in one input (UTF-8 bytes): inline content lives in the
 * workflow's memory and history; larger sets go by `ref` (`somagent payloads put`). 4 MiB.
 */
export const MAX_INLINE_INPUT_BYTES = 4 * 1024 * 1024;
/** Longest input path, as for the workspace tools' paths. */
export const MAX_INPUT_PATH_CHARS = 1024;

/** `sha256:<64 lower-case hex>`: the key of a blob in the payload store (`payload_blobs`). */
export const INPUT_FILE_REF_PATTERN = /^sha256:[0-9a-f]{64}$/;

/** One input file: inline UTF-8 text, or a reference to a blob in the payload store. */
export type RunInputFile = { path: string; content: string } | { path: string; ref: string };

/** How a ref should look, for error messages. */
export const INPUT_FILE_REF_HINT =
  '"sha256:" and 64 lower-case hex digits, as printed by `somagent payloads put <file>`';

/**
 * Why `path` cannot name an input file in the run workspace, or undefined when it can. Same rules
 * as the workspace tools (`activities/tools/workspace.ts`): relative, no `..` segment, no NUL;
 * and it must name a file, not the workspace itself or a folder (`a/`).
 */
export function inputPathProblem(path: string): string | undefined {
  const example = 'e.g. "meetings/transcript.txt"';
  if (path.length === 0) return `expected a path relative to the run workspace, ${example}`;
  if (path.length > MAX_INPUT_PATH_CHARS) return `must have at most ${MAX_INPUT_PATH_CHARS} characters`;
  if (path.includes('\0')) return 'must not contain a NUL character';
  if (path.startsWith('/') || path.startsWith('\\') || /^[A-Za-z]:/.test(path)) {
    return `"${path}" is absolute; give a path relative to the run workspace, ${example}`;
  }
  const segments = path.split(/[\\/]+/);
  if (segments.includes('..')) {
    return `"${path}" contains ".."; give a path inside the run workspace, ${example}`;
  }
  if (/[\\/]$/.test(path)) return `"${path}" names a folder; give the path of a file, ${example}`;
  if (normalizeInputPath(path) === '') {
    return `"${path}" names the workspace itself; give the path of a file, ${example}`;
  }
  return undefined;
}

/** The canonical form of a valid input path: `/` separators, no empty or `.` segments. */
export function normalizeInputPath(path: string): string {
  return path
    .split(/[\\/]+/)
    .filter((segment) => segment !== '' && segment !== '.')
    .join('/');
}

/**
 * UTF-8 length of `text` in bytes, or -1 when it holds a lone surrogate (not encodable as UTF-8,
 * which a JSON start form can still produce with `\ud800`). Pure, for the sandbox (no Buffer).
 */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return -1;
      bytes += 4;
      i++;
    } else if (code >= 0xdc00 && code <= 0xdfff) return -1;
    else bytes += 3;
  }
  return bytes;
}

/** One problem in a list of input files, located by its index (and field). */
export interface InputFilesIssue {
  /** Path inside the list, e.g. `[2, 'path']`. */
  path: (string | number)[];
  message: string;
}

/** Human-readable byte size for limits: `1 MiB`, `4 MiB`, `512 KiB`. */
export function formatBytes(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/**
 * Checks across the files of one run: duplicate paths (after normalisation), a path that is
 * also another input's folder, inline content over the per-file and total caps. Per-field
 * shape checks (path rules, ref format) are the schema's; this runs on shape-valid files.
 */
export function inputFilesIssues(files: readonly RunInputFile[]): InputFilesIssue[] {
  const issues: InputFilesIssue[] = [];
  const seen = new Map<string, number>();
  let inline = 0;
  files.forEach((file, index) => {
    const normalized = normalizeInputPath(file.path);
    const first = seen.get(normalized);
    if (first !== undefined) {
      issues.push({
        path: [index, 'path'],
        message: `"${file.path}" is also the path of files.${first}; each input file needs its own path`,
      });
    } else {
      seen.set(normalized, index);
    }
    if ('content' in file) {
      const bytes = utf8ByteLength(file.content);
      if (bytes < 0) {
        issues.push({
          path: [index, 'content'],
          message: 'is not valid UTF-8 text (it holds a lone UTF-16 surrogate)',
        });
      } else {
        inline += bytes;
        if (bytes > MAX_INPUT_FILE_BYTES) {
          issues.push({
            path: [index, 'content'],
            message: `has ${bytes} bytes, more than the ${formatBytes(MAX_INPUT_FILE_BYTES)} limit per input file (what workspace.read reads at most)`,
          });
        }
      }
    }
  });
  for (const [normalized, index] of seen) {
    for (const [other, otherIndex] of seen) {
      if (other.startsWith(`${normalized}/`)) {
        issues.push({
          path: [index, 'path'],
          message: `"${files[index]!.path}" is a file, but files.${otherIndex} ("${files[otherIndex]!.path}") puts a file inside it`,
        });
        break;
      }
    }
  }
  if (inline > MAX_INLINE_INPUT_BYTES) {
    issues.push({
      path: [],
      message: `inline content totals ${inline} bytes, more than the ${formatBytes(MAX_INLINE_INPUT_BYTES)} limit; put large files in the payload store (\`somagent payloads put <file>\`) and pass { "path", "ref" } instead`,
    });
  }
  return issues;
}
