import { ApplicationFailure } from '@temporalio/common';
import { parseCapsuleWorkflowInput, type InputIssue } from '../../../../workflows/shared/input-schema';
import {
  inputPathProblem,
  MAX_INLINE_INPUT_BYTES,
  MAX_INPUT_FILE_BYTES,
  MAX_INPUT_FILES,
  normalizeInputPath,
  utf8ByteLength,
} from '../../../../workflows/shared/run-inputs';

const REF = `sha256:${'ab'.repeat(32)}`;

/** The issues of an input whose `files` are rejected, by field path. */
function fileIssues(files: unknown): Record<string, string> {
  try {
    parseCapsuleWorkflowInput({ capsule: 'meetings.transcript-summary@^1', files });
  } catch (err) {
    if (!(err instanceof ApplicationFailure)) throw err;
    expect(err).toMatchObject({ type: 'InvalidWorkflowInput', nonRetryable: true });
    const issues = err.details![0] as InputIssue[];
    return Object.fromEntries(issues.map((i) => [i.path, i.message]));
  }
  throw new Error('expected the files to be rejected');
}

describe('capsuleWorkflow input files', () => {
  it('accepts inline content and payload-store refs as pasted JSON', () => {
    const input = {
      capsule: 'meetings.transcript-summary@^1',
      files: [
        { path: 'meetings/transcript.txt', content: 'Priya: ship it.\nLee: ok — 🚀' },
        { path: 'data/big.csv', ref: REF },
        { path: 'empty.txt', content: '' },
      ],
    };
    expect(parseCapsuleWorkflowInput(JSON.parse(JSON.stringify(input)))).toEqual(input);
  });

  it.each([
    ['is absolute', '/etc/passwd'],
    ['is absolute', '\\\\server\\share.txt'],
    ['is absolute', 'C:\\notes.txt'],
    ['contains ".."', '../outside.txt'],
    ['contains ".."', 'meetings/../../outside.txt'],
    ['contains ".."', 'a\\..\\b.txt'],
    ['names a folder', 'meetings/'],
    ['names the workspace itself', '.'],
    ['names a folder', './'],
    ['expected a path relative to the run workspace', ''],
    ['NUL', 'bad\0name'],
    ['at most 1024 characters', 'x'.repeat(1025)],
  ])('rejects a path that %s (case %#), saying why and what to give instead', (why, path) => {
    const issues = fileIssues([{ path, content: 'x' }]);
    expect(issues['files.0.path']).toContain(why);
    expect(inputPathProblem(path)).toContain(why);
  });

  it('needs exactly one of content and ref, and a well-formed ref', () => {
    const issues = fileIssues([
      { path: 'a.txt' },
      { path: 'b.txt', content: 'x', ref: REF },
      { path: 'c.txt', ref: 'sha256:ABC' },
      { path: 'd.txt', content: 'x', mode: '0755' },
      'e.txt',
    ]);
    expect(issues['files.0']).toMatch(/exactly one of "content" .* or "ref"/);
    expect(issues['files.1']).toMatch(/exactly one of "content" .* or "ref"/);
    expect(issues['files.2.ref']).toContain('`somagent payloads put <file>`');
    expect(issues['files.3']).toBe(
      'unknown field(s) "mode"; an input file has "path" and "content" or "ref"',
    );
    expect(issues['files.4']).toBe('expected { "path", "content" } or { "path", "ref" }');
    expect(fileIssues({ path: 'a.txt', content: 'x' }).files).toMatch(/expected a list/);
  });

  it('rejects duplicate paths, also when spelled differently, and a file that is another one’s folder', () => {
    const issues = fileIssues([
      { path: 'meetings/transcript.txt', content: 'a' },
      { path: './meetings//transcript.txt', ref: REF },
      { path: 'notes', content: 'b' },
      { path: 'notes/today.md', content: 'c' },
    ]);
    expect(issues['files.1.path']).toBe(
      '"./meetings//transcript.txt" is also the path of files.0; each input file needs its own path',
    );
    expect(issues['files.2.path']).toContain('files.3 ("notes/today.md") puts a file inside it');
    expect(Object.keys(issues).sort()).toEqual(['files.1.path', 'files.2.path']);
  });

  it('caps each file at 1 MiB of UTF-8, the inline total at 4 MiB, and the count', () => {
    // 'é' is 2 bytes in UTF-8: the cap counts bytes, not characters.
    const justOver = 'é'.repeat(MAX_INPUT_FILE_BYTES / 2) + 'x';
    expect(fileIssues([{ path: 'a.txt', content: justOver }])['files.0.content']).toBe(
      `has ${MAX_INPUT_FILE_BYTES + 1} bytes, more than the 1 MiB limit per input file (what workspace.read reads at most)`,
    );
    expect(() =>
      parseCapsuleWorkflowInput({
        capsule: 'a@1',
        files: [{ path: 'a.txt', content: 'x'.repeat(MAX_INPUT_FILE_BYTES) }],
      }),
    ).not.toThrow();

    const five = Array.from({ length: 5 }, (_, i) => ({
      path: `part-${i}.txt`,
      content: 'x'.repeat(MAX_INPUT_FILE_BYTES),
    }));
    const total = fileIssues(five).files!;
    expect(total).toContain(`inline content totals ${5 * MAX_INPUT_FILE_BYTES} bytes`);
    expect(total).toContain('4 MiB');
    expect(total).toContain('somagent payloads put');
    expect(5 * MAX_INPUT_FILE_BYTES).toBeGreaterThan(MAX_INLINE_INPUT_BYTES);

    const many = Array.from({ length: MAX_INPUT_FILES + 1 }, (_, i) => ({ path: `f${i}`, ref: REF }));
    expect(fileIssues(many).files).toBe(`expected at most ${MAX_INPUT_FILES} input files`);
  });

  it('rejects content that cannot be UTF-8 (a lone surrogate from a JSON form)', () => {
    const issues = fileIssues(JSON.parse('[{"path": "a.txt", "content": "bad \\ud800 text"}]'));
    expect(issues['files.0.content']).toContain('not valid UTF-8');
  });
});

describe('utf8ByteLength and normalizeInputPath', () => {
  it('counts like Buffer.byteLength for well-formed text', () => {
    for (const text of ['', 'ascii', 'é', '€', '😀', 'mixed é € 😀 text\n']) {
      expect(utf8ByteLength(text)).toBe(Buffer.byteLength(text, 'utf8'));
    }
    expect(utf8ByteLength('\ud800')).toBe(-1);
    expect(utf8ByteLength('\udc00x')).toBe(-1);
  });

  it('gives one spelling per path', () => {
    expect(normalizeInputPath('./meetings//transcript.txt')).toBe('meetings/transcript.txt');
    expect(normalizeInputPath('a\\b\\c.txt')).toBe('a/b/c.txt');
  });
});
