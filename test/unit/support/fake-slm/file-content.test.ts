import { parse as parseYaml } from 'yaml';
import { fileContent, type FileMaterial } from '../../../support/fake-slm/file-content';
import { factsFromDocument } from '../../../support/fake-slm/material';
import { TRANSCRIPT } from './fixtures';

const material = (overrides: Partial<FileMaterial> = {}): FileMaterial => ({
  title: 'SomaGent launch sync',
  facts: factsFromDocument(TRANSCRIPT),
  instruction: 'Implement the page. Use #12ab34 as the primary colour.',
  summary: 'Read meetings/transcript.txt. Decisions: we ship the default constitution as is.',
  siblings: [],
  ...overrides,
});

describe('fileContent', () => {
  it('writes an HTML page for .html: doctype, title, escaped text, the stylesheet it is built with', () => {
    const page = fileContent(
      'site/index.html',
      material({ siblings: ['site/styles.css', 'site/README.md'] }),
    );
    expect(page).toMatch(/^<!doctype html>\n<html lang="en">/);
    expect(page).toContain('<title>SomaGent launch sync</title>');
    expect(page).toContain('<link rel="stylesheet" href="styles.css" />');
    expect(page).not.toContain('README.md');
    expect(page).toContain('<h2 id="decisions-heading">Decisions</h2>');
    expect(page).toContain('<li>We ship the default constitution as is.</li>');
    expect(page).toMatch(/<\/html>\n$/);
    const risky = fileContent('index.html', material({ title: 'A <b> & "c"', siblings: ['css/site.css'] }));
    expect(risky).toContain('<title>A &lt;b&gt; &amp; &quot;c&quot;</title>');
    expect(risky).toContain('href="css/site.css"');
  });

  it('writes a stylesheet for .css in the colour the instruction names, with focus states', () => {
    const css = fileContent('site/styles.css', material());
    expect(css).toContain('--color-primary: #12ab34;');
    expect(css).toContain(':focus-visible');
    expect(css.split('{').length).toBe(css.split('}').length);
    expect(fileContent('a.css', material({ instruction: 'Style it.' }))).toContain(
      '--color-primary: #3b5bdb;',
    );
  });

  it('writes valid JSON for .json and YAML that parses to the same record for .yaml/.yml', () => {
    const json = JSON.parse(fileContent('triage/issue.json', material())) as {
      title: string;
      items: { kind: string; text: string; owner?: string; due?: string }[];
    };
    expect(json.title).toBe('SomaGent launch sync — Issue');
    expect(json.items).toEqual(
      expect.arrayContaining([
        {
          kind: 'action',
          text: "Pricing page still says beta. I'll update it by Friday.",
          owner: 'Marco',
          due: 'Friday',
        },
      ]),
    );
    for (const path of ['triage/issue.yaml', 'config.yml']) {
      expect(parseYaml(fileContent(path, material()))).toEqual(
        JSON.parse(fileContent(path.replace(/\.ya?ml$/, '.json'), material())),
      );
    }
    expect(parseYaml(fileContent('empty.yaml', material({ facts: [] })))).toMatchObject({ items: [] });
  });

  it('writes CSV with a header and quoted cells for .csv', () => {
    const rows = fileContent('data/items.csv', material()).split('\r\n');
    expect(rows[0]).toBe('kind,text,owner,due');
    expect(rows).toContain('decision,We ship the default constitution as is.,Priya,');
    expect(rows).toContain('action,"I will, and I\'ll send invites on Monday.",Lee,Monday');
    expect(fileContent('x.csv', material({ facts: [], summary: 'Read it, then "decide".' }))).toBe(
      'kind,text,owner,due\r\nother,"Read it, then ""decide"".",,\r\n',
    );
  });

  it('writes a module for .js/.ts, plain text for .txt and Markdown with a heading for the rest', () => {
    const ts = fileContent('src/notes.ts', material());
    expect(ts).toContain('export const notes: readonly string[] = [');
    expect(ts).toContain('export function describe(): string {');
    expect(fileContent('app.js', material())).toContain('export function describe() {');
    const text = fileContent('notes/minutes.txt', material());
    expect(text).toMatch(/^SomaGent launch sync — Minutes\n=+\n/);
    expect(text).toContain('Decisions:\n- We ship the default constitution as is.');
    const markdown = fileContent('IMPLEMENTATION.md', material({ title: undefined }));
    expect(markdown).toMatch(/^# IMPLEMENTATION\n\nThis note summarises the material provided\./);
    expect(fileContent('docs/getting-started.md', material())).toMatch(
      /^# SomaGent launch sync — Getting started\n/,
    );
  });
});
