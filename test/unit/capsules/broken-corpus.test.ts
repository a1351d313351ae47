import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { compileCapsule } from '../../../capsules/compiler';
import { formatDiagnostic, type Diagnostic } from '../../../capsules/diagnostics';
import { BUILTIN_LIBRARY_DIR, loadLibrary } from '../../../capsules/library-loader';
import { parseCapsule } from '../../../capsules/parse';
import { createMemoryResolver } from '../../../capsules/resolver';

const FIXTURES = path.join(__dirname, '../../fixtures/capsules');
const BROKEN = path.join(FIXTURES, 'broken');

/**
 * One defect per file: [file, code, field path, line, column, file the problem is reported in
 * when it is not the capsule itself]. Positions were checked by hand against each file.
 */
const EXPECTED: Array<[string, string, string, number, number, string?]> = [
  ['atomic-with-capsule-step.yaml', 'invalid-value', 'steps[2].capsule', 44, 14],
  ['bad-cron.yaml', 'invalid-value', 'triggers[1].cron', 30, 11],
  ['bad-event-type.yaml', 'invalid-format', 'triggers[0].event', 29, 12],
  ['bad-review-timeout.yaml', 'invalid-value', 'steps[1].review.timeout', 45, 16],
  ['bad-timezone.yaml', 'invalid-value', 'triggers[1].timezone', 31, 15],
  ['bad-type.yaml', 'invalid-value', 'type', 5, 7],
  ['bad-version.yaml', 'invalid-value', 'version', 2, 10],
  ['bad-wall-time.yaml', 'invalid-value', 'budget.wallTime', 26, 13],
  ['capsule-cycle.yaml', 'capsule-cycle', 'steps[0].capsule', 11, 14, 'support/cycle-b.yaml'],
  ['composite-capsule-not-found.yaml', 'capsule-not-found', 'steps[2].capsule', 44, 14],
  ['composite-missing-param.yaml', 'missing-param', 'steps[2].params', 43, 5],
  ['composite-unknown-param.yaml', 'unknown-param', 'steps[2].params.targetUri', 47, 18],
  ['composite-without-capsule-steps.yaml', 'invalid-value', 'type', 5, 7],
  ['cron-and-interval.yaml', 'invalid-value', 'triggers[1]', 29, 5],
  ['denied-tool.yaml', 'denied-tool', 'steps[0].tools[0]', 34, 13],
  ['dependency-cycle.yaml', 'dependency-cycle', 'steps[0].dependsOn[0]', 34, 17],
  ['duplicate-memory-id.yaml', 'duplicate-memory', 'memory[1].id', 16, 9],
  ['duplicate-step-id.yaml', 'duplicate-step', 'steps[2].id', 43, 9],
  ['duplicate-yaml-key.yaml', 'yaml-duplicate-key', '', 4, 1],
  ['enum-without-values.yaml', 'invalid-value', 'params.topic.values', 12, 5],
  ['event-filter-syntax.yaml', 'invalid-filter', 'triggers[0].filter', 30, 56],
  ['event-param-not-from-event.yaml', 'unknown-variable', 'triggers[0].params.topic', 31, 21],
  [
    'expected-calls-unknown-tool.yaml',
    'invalid-value',
    'steps[0].expectedToolCalls["workspace.read"]',
    34,
    42,
  ],
  ['guardrail-unknown-field.yaml', 'unknown-field', 'guardrails.maxSpend', 22, 3],
  ['json-unknown-dependency.json', 'unknown-dependency', 'steps[1].dependsOn[1]', 38, 9],
  ['memory-unsupported-scheme.yaml', 'invalid-memory-ref', 'memory[1].ref', 17, 10],
  ['missing-id.yaml', 'missing-field', 'id', 1, 1],
  ['negative-tokens.yaml', 'too-small', 'budget.tokens', 24, 11],
  ['not-a-mapping.yaml', 'not-a-mapping', '', 1, 1],
  ['output-required-undeclared.yaml', 'invalid-value', 'steps[0].output.required[0]', 36, 18],
  ['override-widens-tools.yaml', 'override-widens-tools', 'personas.writer.overrides.tools[1]', 18, 32],
  ['param-default-mismatch.yaml', 'invalid-value', 'params.topic.default', 13, 14],
  ['persona-and-capsule.yaml', 'invalid-value', 'steps[1].capsule', 40, 14],
  ['persona-bad-range.yaml', 'invalid-value', 'personas.writer.ref', 15, 11],
  ['persona-not-found.yaml', 'persona-not-found', 'personas.writer.ref', 15, 11],
  ['schedule-missing-required-param.yaml', 'missing-param', 'triggers[1]', 28, 5],
  ['self-dependency.yaml', 'dependency-cycle', 'steps[1].dependsOn[1]', 42, 27],
  ['template-event-outside-trigger.yaml', 'unknown-variable', 'steps[0].instruction', 32, 52],
  ['template-not-upstream.yaml', 'unknown-variable', 'steps[1].instruction', 40, 30],
  ['template-unclosed.yaml', 'template-syntax', 'steps[0].instruction', 32, 27],
  ['template-unknown-memory.yaml', 'unknown-variable', 'steps[0].instruction', 32, 52],
  ['template-unknown-output-field.yaml', 'unknown-variable', 'steps[1].instruction', 40, 30],
  ['template-unknown-param.yaml', 'unknown-variable', 'steps[0].instruction', 32, 27],
  ['threshold-out-of-range.yaml', 'too-big', 'guardrails.minThreshold', 23, 17],
  ['tool-not-allowed.yaml', 'tool-not-allowed', 'steps[1].tools[0]', 41, 13],
  ['tool-not-in-suite.yaml', 'tool-not-in-suite', 'steps[1].tools[0]', 41, 13],
  ['trigger-unknown-param.yaml', 'unknown-param', 'triggers[1].params.topics', 32, 15],
  ['unknown-dependency.yaml', 'unknown-dependency', 'steps[1].dependsOn[0]', 42, 17],
  ['unknown-persona-alias.yaml', 'unknown-persona', 'steps[1].persona', 39, 14],
  ['unknown-step-field.yaml', 'unknown-field', 'steps[1].tols', 41, 5],
  ['unknown-tool.yaml', 'unknown-tool', 'tools[4]', 17, 71],
  ['unknown-top-field.yaml', 'unknown-field', 'ownr', 6, 1],
  ['unknown-trigger-type.yaml', 'invalid-union', 'triggers[1].type', 29, 11],
  ['unreachable-step.yaml', 'unreachable-step', 'steps[2]', 44, 5],
  ['yaml-syntax.yaml', 'yaml-block-as-implicit-key', '', 9, 11],
];

let library: Awaited<ReturnType<typeof loadLibrary>>;
beforeAll(async () => {
  library = await loadLibrary([BUILTIN_LIBRARY_DIR, path.join(FIXTURES, 'support')], FIXTURES);
});

async function diagnose(file: string): Promise<Diagnostic[]> {
  const parsed = parseCapsule(readFileSync(file, 'utf8'), { file: path.relative(FIXTURES, file) });
  if (!parsed.value) return parsed.diagnostics;
  const resolver = createMemoryResolver({
    capsules: [...library.capsules, { value: parsed.value, source: parsed.source }],
    personas: library.personas,
  });
  return (await compileCapsule(parsed.value, { resolver, source: parsed.source })).diagnostics;
}

describe('broken capsule corpus', () => {
  it('has at least 30 files, each with an expectation', () => {
    const files = readdirSync(BROKEN).sort();
    expect(files.length).toBeGreaterThanOrEqual(30);
    expect(EXPECTED.map(([f]) => f).sort()).toEqual(files);
  });

  it.each(EXPECTED)('%s is rejected with %s at %s (%d:%d)', async (...row) => {
    // A rest parameter keeps the arity at 0: jest would take a sixth named parameter for `done`.
    const [name, code, fieldPath, line, column, reportedIn] = row;
    const diagnostics = await diagnose(path.join(BROKEN, name));
    const file = reportedIn ?? `broken/${name}`;
    expect(diagnostics.some((d) => d.severity === 'error')).toBe(true);
    const match = diagnostics.find((d) => d.code === code && d.path === fieldPath);
    expect(match).toBeDefined();
    expect({
      file: match!.file,
      line: match!.line,
      column: match!.column,
      severity: match!.severity,
    }).toEqual({
      file,
      line,
      column,
      severity: 'error',
    });
    expect(formatDiagnostic(match!)).toBe(
      `${file}:${line}:${column} ${fieldPath || '(document)'} ${match!.message}`,
    );
    expect(match!.message.length).toBeGreaterThan(10);
  });

  it('collects every problem in a file instead of stopping at the first', () => {
    const text = readFileSync(path.join(BROKEN, 'unknown-dependency.yaml'), 'utf8')
      .replace('tokens: 50000', 'tokens: -1')
      .replace('version: 1.0.0', 'version: one');
    const parsed = parseCapsule(text, { file: 'x.yaml' });
    expect(parsed.diagnostics.map((d) => d.path)).toEqual(['version', 'budget.tokens']);
  });
});
