import { posix } from 'node:path';
import { quote, type Fact } from './material';

/**
 * What the behaving model writes into a file it is asked for: content that fits the file's
 * extension (an HTML page, a stylesheet, a module, valid JSON, YAML or CSV, Markdown for the
 * rest), filled from what it learnt. Deterministic: the same material gives the same bytes.
 */

/** What a file is written from. */
export interface FileMaterial {
  /** A title for the work (a quoted title in the instruction, or the first line read). */
  title?: string;
  facts: readonly Fact[];
  /** The instruction, to see whether a table is asked for and which colour to use. */
  instruction: string;
  /** A short text summary of the work. */
  summary: string;
  /** The other files the same instruction asks for, so a page can link its stylesheet. */
  siblings: readonly string[];
}

/** Brand colour when the instruction names none. */
const DEFAULT_COLOR = '#3b5bdb';
/** Items of one kind a file lists at most. */
const MAX_ITEMS = 10;

/** Distinct quoted facts of one kind. */
export function listOf(facts: readonly Fact[], kind: Fact['kind'], max = 3): string[] {
  return [...new Set(facts.filter((f) => f.kind === kind).map(quote))].slice(0, max);
}

/** The file's content, by its extension. */
export function fileContent(path: string, material: FileMaterial): string {
  const extension = /\.([A-Za-z0-9]+)$/.exec(path)?.[1]?.toLowerCase();
  switch (extension) {
    case 'html':
    case 'htm':
      return htmlPage(path, material);
    case 'css':
      return stylesheet(path, material);
    case 'js':
    case 'mjs':
    case 'ts':
      return scriptModule(path, material, extension === 'ts');
    case 'json':
      return `${JSON.stringify(record(path, material), null, 2)}\n`;
    case 'yaml':
    case 'yml':
      return yamlDocument(path, material);
    case 'csv':
      return csvTable(material);
    case 'txt':
      return plainText(path, material);
    default:
      return markdownDocument(path, material);
  }
}

/** `docs/getting-started.md` → `Getting started`. */
function headingOf(path: string): string {
  const base = posix
    .basename(path)
    .replace(/\.[^.]+$/, '')
    .replace(/[-_]+/g, ' ');
  return base.charAt(0).toUpperCase() + base.slice(1);
}

function titleOf(path: string, material: FileMaterial): string {
  const heading = headingOf(path);
  return material.title ? `${material.title} — ${heading}` : heading;
}

interface Sections {
  decisions: string[];
  actions: Fact[];
  questions: string[];
  risks: string[];
  /** Everything else, when none of the above was learnt. */
  notes: string[];
}

function sectionsOf(facts: readonly Fact[]): Sections {
  const decisions = listOf(facts, 'decision', MAX_ITEMS);
  const actions = facts.filter((f) => f.kind === 'action');
  const questions = listOf(facts, 'question', MAX_ITEMS);
  const risks = listOf(facts, 'risk', MAX_ITEMS);
  const none = decisions.length + actions.length + questions.length + risks.length === 0;
  const notes = none ? [...new Set(facts.map((f) => f.text))].slice(0, MAX_ITEMS) : [];
  return { decisions, actions, questions, risks, notes };
}

const actionText = (a: Fact) => `${a.speaker ? `${a.speaker}: ` : ''}${a.fields?.task ?? quote(a)}`;

/** Named lists of a file, in reading order, empty ones left out. */
function namedLists(sections: Sections): [string, string[]][] {
  const lists: [string, string[]][] = [
    ['Decisions', sections.decisions],
    ['Action items', sections.actions.map(actionText)],
    ['Open questions', sections.questions],
    ['Risks', sections.risks],
    ['Notes', sections.notes],
  ];
  return lists.filter(([, items]) => items.length > 0);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function markdownDocument(path: string, material: FileMaterial): string {
  const sections = sectionsOf(material.facts);
  const { decisions, actions, questions } = sections;
  const lines = [`# ${titleOf(path, material)}`, ''];
  const overview = [
    `This note summarises ${material.title ?? 'the material provided'}.`,
    `It records ${plural(decisions.length, 'decision')}, ${plural(actions.length, 'action item')} and ${plural(
      questions.length,
      'open question',
    )}.`,
  ];
  if (decisions[0]) overview.push(`Most notably: ${decisions[0].replace(/\.?$/, '.')}`);
  lines.push(overview.join(' '), '');
  for (const [name, items] of namedLists(sections)) {
    lines.push(`## ${name}`, '');
    if (name === 'Action items' && /\btable\b/i.test(material.instruction)) {
      const cell = (s: string) => s.replace(/\|/g, '\\|');
      lines.push('| Owner | Task | Due |', '| --- | --- | --- |');
      for (const a of actions) {
        lines.push(
          `| ${cell(a.speaker ?? 'unassigned')} | ${cell(a.fields?.task ?? quote(a))} | ${cell(a.due ?? 'no date')} |`,
        );
      }
    } else {
      lines.push(...items.map((i) => `- ${i}`));
    }
    lines.push('');
  }
  if (lines.length <= 4) lines.push(material.summary, '');
  return lines.join('\n').replace(/\n+$/, '\n');
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

const slug = (text: string) => text.toLowerCase().replace(/[^a-z0-9]+/g, '-');

function htmlPage(path: string, material: FileMaterial): string {
  const title = material.title ?? headingOf(path);
  const dir = posix.dirname(path);
  const stylesheets = material.siblings.filter((p) => p.endsWith('.css')).map((p) => posix.relative(dir, p));
  const description = material.summary.split(/(?<=[.!?])\s/)[0] ?? material.summary;
  const lists = namedLists(sectionsOf(material.facts));
  const sections = lists.flatMap(([name, items]) => [
    `    <section id="${slug(name)}" aria-labelledby="${slug(name)}-heading">`,
    `      <h2 id="${slug(name)}-heading">${escapeHtml(name)}</h2>`,
    '      <ul>',
    ...items.map((i) => `        <li>${escapeHtml(i)}</li>`),
    '      </ul>',
    '    </section>',
  ]);
  return [
    '<!doctype html>',
    '<html lang="en">',
    '  <head>',
    '    <meta charset="utf-8" />',
    '    <meta name="viewport" content="width=device-width, initial-scale=1" />',
    `    <title>${escapeHtml(title)}</title>`,
    `    <meta name="description" content="${escapeHtml(description)}" />`,
    ...stylesheets.map((href) => `    <link rel="stylesheet" href="${escapeHtml(href)}" />`),
    '  </head>',
    '  <body>',
    '    <header class="hero">',
    `      <h1>${escapeHtml(title)}</h1>`,
    `      <p>${escapeHtml(material.summary)}</p>`,
    '    </header>',
    '    <main>',
    ...sections,
    '    </main>',
    '    <footer>',
    `      <p>${escapeHtml(headingOf(path))}</p>`,
    '    </footer>',
    '  </body>',
    '</html>',
    '',
  ].join('\n');
}

function stylesheet(path: string, material: FileMaterial): string {
  const color = /#[0-9a-fA-F]{6}\b/.exec(material.instruction)?.[0] ?? DEFAULT_COLOR;
  return [
    `/* ${titleOf(path, material).replace(/\*\//g, '* /')} */`,
    ':root {',
    `  --color-primary: ${color};`,
    '  --color-text: #1a1a1a;',
    '  --color-background: #ffffff;',
    '  --space: 1rem;',
    '}',
    '',
    'body {',
    '  margin: 0;',
    '  font-family: system-ui, sans-serif;',
    '  line-height: 1.5;',
    '  color: var(--color-text);',
    '  background: var(--color-background);',
    '}',
    '',
    '.hero {',
    '  padding: calc(var(--space) * 3) var(--space);',
    '  background: var(--color-primary);',
    '  color: #ffffff;',
    '}',
    '',
    'main {',
    '  max-width: 64rem;',
    '  margin: 0 auto;',
    '  padding: var(--space);',
    '}',
    '',
    'a:focus-visible,',
    'button:focus-visible {',
    '  outline: 3px solid var(--color-primary);',
    '  outline-offset: 2px;',
    '}',
    '',
    '@media (min-width: 768px) {',
    '  main {',
    '    padding: calc(var(--space) * 2);',
    '  }',
    '}',
    '',
  ].join('\n');
}

function scriptModule(path: string, material: FileMaterial, typed: boolean): string {
  const items = namedLists(sectionsOf(material.facts)).flatMap(([, list]) => list);
  const notes = items.length > 0 ? items : [material.summary];
  const comment = `${titleOf(path, material)}. ${material.summary}`.replace(/\*\//g, '* /');
  return [
    `/** ${comment} */`,
    `export const notes${typed ? ': readonly string[]' : ''} = ${JSON.stringify(notes, null, 2)};`,
    '',
    `/** The notes as one text, a line each. */`,
    `export function describe()${typed ? ': string' : ''} {`,
    "  return notes.join('\\n');",
    '}',
    '',
  ].join('\n');
}

interface Item {
  kind: Fact['kind'];
  text: string;
  owner?: string;
  due?: string;
}

function itemsOf(facts: readonly Fact[]): Item[] {
  const seen = new Set<string>();
  const items: Item[] = [];
  for (const fact of facts) {
    const text = fact.kind === 'action' ? (fact.fields?.task ?? quote(fact)) : quote(fact);
    if (seen.has(text)) continue;
    seen.add(text);
    items.push({
      kind: fact.kind,
      text,
      ...(fact.speaker ? { owner: fact.speaker } : {}),
      ...(fact.due ? { due: fact.due } : {}),
    });
  }
  return items.slice(0, MAX_ITEMS * 2);
}

function record(path: string, material: FileMaterial): Record<string, unknown> {
  return { title: titleOf(path, material), summary: material.summary, items: itemsOf(material.facts) };
}

function yamlDocument(path: string, material: FileMaterial): string {
  // JSON strings are valid YAML double-quoted scalars, so quoting with JSON.stringify is safe.
  const q = (s: string) => JSON.stringify(s);
  const { title, summary, items } = record(path, material) as {
    title: string;
    summary: string;
    items: Item[];
  };
  const lines = [`title: ${q(title)}`, `summary: ${q(summary)}`];
  if (items.length === 0) lines.push('items: []');
  else {
    lines.push('items:');
    for (const item of items) {
      lines.push(`  - kind: ${item.kind}`, `    text: ${q(item.text)}`);
      if (item.owner) lines.push(`    owner: ${q(item.owner)}`);
      if (item.due) lines.push(`    due: ${q(item.due)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function csvTable(material: FileMaterial): string {
  const cell = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const items = itemsOf(material.facts);
  const rows = items.length > 0 ? items : [{ kind: 'other', text: material.summary } as Item];
  return [
    'kind,text,owner,due',
    ...rows.map((i) => [i.kind, i.text, i.owner ?? '', i.due ?? ''].map(cell).join(',')),
    '',
  ].join('\r\n');
}

function plainText(path: string, material: FileMaterial): string {
  const title = titleOf(path, material);
  const lines = [title, '='.repeat(title.length), '', material.summary, ''];
  for (const [name, items] of namedLists(sectionsOf(material.facts))) {
    lines.push(`${name}:`, ...items.map((i) => `- ${i}`), '');
  }
  return lines.join('\n').replace(/\n+$/, '\n');
}
