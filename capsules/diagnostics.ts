/**
 * Diagnostics: every problem found in a capsule or persona document, with the file, the path of
 * the field and its line:column in the source, so an author can jump straight to it.
 *
 * Sandbox-safe (no Node built-ins).
 */

export type Severity = 'error' | 'warning';

/** One problem in a document. `line`/`column` are 1-based; 0 when the source is not text. */
export interface Diagnostic {
  severity: Severity;
  /** Stable machine-readable code, e.g. `unknown-dependency`. */
  code: string;
  /** File (or registry reference) the problem is in. */
  file: string;
  /** Field path in the document, e.g. `steps[2].dependsOn[0]`; empty for the whole document. */
  path: string;
  line: number;
  column: number;
  message: string;
}

/** Path segments as zod and our checks produce them. */
export type PathSegment = string | number;

/** Renders `['steps', 2, 'dependsOn', 0]` as `steps[2].dependsOn[0]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** `file:line:col path message`, the format editors and CI annotations understand. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = `${d.file}:${d.line}:${d.column}`;
  const tag = d.severity === 'warning' ? 'warning: ' : '';
  return `${where} ${d.path === '' ? '(document)' : d.path} ${tag}${d.message}`;
}

/**
 * Maps a field path to its position in the source; `undefined` when not known. `offset` points
 * inside a string value (e.g. at a `{{` in an instruction) where the source allows it.
 */
export type Locator = (
  path: readonly PathSegment[],
  offset?: number,
) => { line: number; column: number } | undefined;

/** Where a document came from: its name and how to find positions in it. */
export interface SourceInfo {
  file: string;
  locate?: Locator;
}

/** Collects diagnostics for one source; checks keep going after the first problem. */
export class DiagnosticBag {
  readonly items: Diagnostic[] = [];
  constructor(private readonly source: SourceInfo) {}

  add(
    severity: Severity,
    code: string,
    path: readonly PathSegment[],
    message: string,
    offset?: number,
  ): void {
    const pos = this.source.locate?.(path, offset) ?? { line: 0, column: 0 };
    this.items.push({
      severity,
      code,
      file: this.source.file,
      path: formatPath(path),
      line: pos.line,
      column: pos.column,
      message,
    });
  }

  error(code: string, path: readonly PathSegment[], message: string, offset?: number): void {
    this.add('error', code, path, message, offset);
  }

  warn(code: string, path: readonly PathSegment[], message: string): void {
    this.add('warning', code, path, message);
  }

  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === 'error');
  }
}

/** Sorts by file, then position, so output reads top to bottom. */
export function sortDiagnostics(items: readonly Diagnostic[]): Diagnostic[] {
  return [...items].sort(
    (a, b) =>
      a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.path.localeCompare(b.path),
  );
}
