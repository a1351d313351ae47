import { BUILTIN_LIBRARY_DIR, loadLibrary } from '../../../../capsules/library-loader';
import { renderTemplate } from '../../../../capsules/template';
import { workspacePaths, type PathMention } from '../../../support/fake-slm/material';

/** `write site/index.html`: a mention as the table spells it. */
const spell = (mentions: PathMention[]) => mentions.map((m) => `${m.intent} ${m.path}`);

describe('workspacePaths', () => {
  it.each<[string, string[]]>([
    [
      'Implement site/index.html and site/styles.css from site/DESIGN.md.',
      ['write site/index.html', 'write site/styles.css', 'read site/DESIGN.md'],
    ],
    [
      'Fix what you find, then write IMPLEMENTATION.md (what changed, how to run it).',
      ['write IMPLEMENTATION.md'],
    ],
    ['Add site/README.md with how to preview the page.', ['write site/README.md']],
    [
      'Build index.html, produce report.csv and generate data.json.',
      ['write index.html', 'write report.csv', 'write data.json'],
    ],
    [
      'Draft notes.txt, then create config.yaml and save app.yml.',
      ['write notes.txt', 'write config.yaml', 'write app.yml'],
    ],
    ['Summarise the call and put the result into minutes.md.', ['write minutes.md']],
    ['Export the table as weekly.csv.', ['write weekly.csv']],
    ['Put the figures into the file stats.json.', ['write stats.json']],
    ['Record the outcome to `triage/issue.json`.', ['write triage/issue.json']],
    ['Update CHANGELOG.md with the release.', ['update CHANGELOG.md']],
    ['Read notes.md, then update notes.md.', ['update notes.md']],
    ['Read README.md and docs/guide.md, then answer.', ['read README.md', 'read docs/guide.md']],
    ['Write the summary according to docs/style.md.', ['read docs/style.md']],
    [
      'Write a guide, such as guide.md in the examples, from src/main.ts.',
      ['read guide.md', 'read src/main.ts'],
    ],
    [
      'Use site/DESIGN.md as the spec and write site/index.html.',
      ['read site/DESIGN.md', 'write site/index.html'],
    ],
    ['Review design/spec.md for feasibility.', ['read design/spec.md']],
    ['Write tests alongside the code.', []],
    ['Plan it in TypeScript, React, Node.js 20 and Vue.js.', []],
    ['Fetch https://example.com/data.json and mail ops@example.com, e.g. about api.md5.', []],
    ['Write /etc/passwd.md and ../secret.md and archive.json.gz.', []],
    ['Read the transcript at {"type":"object","description":"write out.md"} today.', []],
  ])('%s', (instruction, expected) => {
    expect(spell(workspacePaths(instruction))).toEqual(expected);
  });
});

/**
 * What the behaving model takes from each step instruction of the shipped library, rendered with
 * the parameters' defaults (a placeholder where there is none) and no step outputs or memories.
 * Every step with an instruction is listed, so a new or changed capsule shows up here.
 */
const LIBRARY_STEPS: Record<string, Record<string, string[]>> = {
  'analytics.weekly-report': {
    'fetch-metrics': ['write data/weekly-analytics/raw.json'],
    analyse: [],
    'write-report': ['write reports/weekly-analytics.md'],
    remember: [],
  },
  'meetings.transcript-summary': {
    extract: ['read meetings/transcript.txt'],
    'write-summary': ['write meetings/summary.md'],
  },
  'product.design': {
    flows: [],
    spec: ['write design/spec.md'],
    feasibility: ['read design/spec.md'],
  },
  'product.development': {
    plan: ['read design/spec.md'],
    implement: [],
    'self-review': ['write IMPLEMENTATION.md'],
  },
  'product.documentation': {
    outline: ['read design/spec.md', 'read IMPLEMENTATION.md'],
    write: ['write docs/getting-started.md', 'write docs/release-notes.md'],
  },
  'product.launch': {
    brief: ['write launch/brief.md'],
    'launch-review': ['read qa/report.md', 'write launch/decision.md'],
  },
  'product.qa': {
    'test-plan': ['write qa/test-plan.md'],
    execute: [],
    report: ['write qa/report.md'],
  },
  'support.issue-triage': {
    classify: [],
    'find-duplicates': [],
    propose: ['write triage/issue.json'],
    apply: [],
  },
  'web.landing-page': {
    architecture: [],
    design: ['write site/DESIGN.md'],
    build: ['write site/index.html', 'write site/styles.css', 'read site/DESIGN.md', 'write site/README.md'],
    'final-check': [],
  },
};

describe('workspacePaths over the shipped library', () => {
  let rendered: Record<string, Record<string, string>>;
  beforeAll(async () => {
    const library = await loadLibrary([BUILTIN_LIBRARY_DIR]);
    rendered = {};
    for (const { value: capsule } of library.capsules) {
      const params = Object.fromEntries(
        Object.entries(capsule.params ?? {}).map(([name, spec]) => [name, spec.default ?? `<${name}>`]),
      );
      for (const step of capsule.steps) {
        if (!('instruction' in step) || typeof step.instruction !== 'string') continue;
        (rendered[capsule.id] ??= {})[step.id] = renderTemplate(step.instruction, { params });
      }
    }
  });

  it('the table lists every step with an instruction', () => {
    const steps = (table: Record<string, Record<string, unknown>>) =>
      Object.entries(table)
        .flatMap(([id, s]) => Object.keys(s).map((step) => `${id}/${step}`))
        .sort();
    expect(steps(LIBRARY_STEPS)).toEqual(steps(rendered));
  });

  it.each(
    Object.entries(LIBRARY_STEPS).flatMap(([id, steps]) =>
      Object.entries(steps).map(([step, expected]) => [id, step, expected] as const),
    ),
  )('%s / %s', (id, step, expected) => {
    expect(spell(workspacePaths(rendered[id]![step]!))).toEqual(expected);
  });
});
