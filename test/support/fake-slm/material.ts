/**
 * What the behaving model knows: sentences ("facts") taken from what it read and was told,
 * classified the way a reader would (decision, action item, open question, risk), and the
 * workspace paths an instruction asks to read or write. Pure text heuristics, no I/O.
 */

export type FactKind = 'decision' | 'action' | 'question' | 'risk' | 'other';

export interface Fact {
  /** The sentence, with a leading label ("Decision:") removed. */
  text: string;
  /** The whole line the sentence came from, speaker removed. */
  line: string;
  /** Who said it (`Marco: ...`), or the `owner` of a structured item. */
  speaker?: string;
  kind: FactKind;
  /** A due date or day the line mentions (`Friday`, `1 December`). */
  due?: string;
  /** String fields of a structured item (a JSON object on a list line, as rendered step outputs are). */
  fields?: Record<string, string>;
}

/** Lines longer than this are cut to their matching sentence when quoted. */
const MAX_QUOTED_LINE = 160;

const KIND_PATTERNS: ReadonlyArray<[Exclude<FactKind, 'other'>, RegExp]> = [
  ['question', /\?|\bopen questions?\b|\bunclear\b|\btbd\b|\bunknown\b/i],
  ['decision', /\b(decisions?|decided|decides|agreed|approved|we go with)\b/i],
  ['risk', /\b(risks?|blockers?|blocked|concerns?|issues?)\b/i],
  [
    'action',
    /\b(will|i'll|we'll|he'll|she'll|they'll|you'll|going to|action items?|todo|to-do|follow[- ]up|owner)\b/i,
  ],
];

/** Words in a label, property name or description that point at a kind. */
const KIND_WORDS: ReadonlyArray<[Exclude<FactKind, 'other'>, RegExp]> = [
  ['decision', /^(decision|decisions|decided|resolution|resolutions|agreement|agreements|outcome|outcomes)$/],
  ['action', /^(action|actions|task|tasks|todo|todos|followup|followups|assignment|assignments|steps)$/],
  ['question', /^(question|questions|open|unresolved|unknowns|asks)$/],
  ['risk', /^(risk|risks|issue|issues|concern|concerns|blocker|blockers|problem|problems)$/],
];

const LABEL =
  /^(decision|open question|question|action item|action|todo|to-do|note|risk|issue|blocker)\s*:\s*/i;
const SPEAKER = /^([A-Z][\w'’.-]*(?: [A-Z][\w'’.-]*){0,2}):\s+(\S.*)$/;
const NOT_SPEAKERS = new Set([
  'decision',
  'open question',
  'question',
  'action',
  'action item',
  'todo',
  'note',
  'risk',
  'issue',
  'blocker',
  'error',
  'summary',
  'result',
  'answer',
  'warning',
]);
/** Capitalised words that start sentences but name nobody. */
const NOT_NAMES = new Set(
  'who what when where why how which it this that these those we they he she you i nobody someone somebody everyone everybody anyone the a an there here one all each team'.split(
    ' ',
  ),
);
const DAY =
  '(?:mon|tues|wednes|thurs|fri|satur|sun)day|tomorrow|today|tonight|next week|next month|end of (?:the )?(?:day|week|month|quarter)|eod|eow';
const MONTH = '(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*';
const DUE = new RegExp(
  `\\b(${DAY}|\\d{4}-\\d{2}-\\d{2}|\\d{1,2}(?:st|nd|rd|th)? ${MONTH}|${MONTH} \\d{1,2}(?:st|nd|rd|th)?|q[1-4])\\b`,
  'i',
);
const BULLET = /^\s*(?:[-*•]|\d+[.)])\s+(.*)$/;

/** Lower-case words of an identifier or a sentence: `actionItems` → `action`, `items`. */
export function wordsOf(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
}

/** The kind a label or name points at (`actionItems` → action), if any. */
export function kindOfWords(words: readonly string[]): Exclude<FactKind, 'other'> | undefined {
  for (const word of words) {
    for (const [kind, pattern] of KIND_WORDS) if (pattern.test(word)) return kind;
  }
  return undefined;
}

/** The kind of the last kind word in a text (the label nearest to what follows it). */
function lastKindIn(text: string): Exclude<FactKind, 'other'> | undefined {
  const words = wordsOf(text);
  for (let i = words.length - 1; i >= 0; i--) {
    const kind = kindOfWords([words[i]!]);
    if (kind) return kind;
  }
  return undefined;
}

function classify(sentence: string): FactKind {
  for (const [kind, pattern] of KIND_PATTERNS) if (pattern.test(sentence)) return kind;
  return 'other';
}

function splitSentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+(?=["'“(]?[A-Z0-9])/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A due date or day in a text. */
export function dueIn(text: string): string | undefined {
  return DUE.exec(text)?.[1];
}

/** A named owner in a sentence without a speaker: `Marco will ...`, `owner: Lee`. */
function ownerIn(text: string): string | undefined {
  const name =
    /\b([A-Z][a-z]+) (?:will|to|owns|is going to)\b/.exec(text)?.[1] ??
    /\bowner:?\s+([A-Z][a-z]+)/.exec(text)?.[1];
  return name && !NOT_NAMES.has(name.toLowerCase()) ? name : undefined;
}

function structuredFact(item: Record<string, unknown>, label: FactKind | undefined): Fact | undefined {
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(item)) {
    if (value === null || value === undefined) continue;
    fields[key] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  const text =
    fields.task ?? fields.text ?? fields.description ?? fields.title ?? Object.values(fields).find(Boolean);
  if (!text) return undefined;
  const line = Object.values(fields).join(' — ');
  return {
    text,
    line,
    speaker: fields.owner ?? fields.assignee ?? fields.who,
    kind: label ?? (fields.owner || fields.task ? 'action' : classify(line)),
    due: fields.due ?? fields.deadline ?? fields.date ?? dueIn(line),
    fields,
  };
}

function lineFacts(raw: string, label: FactKind | undefined): Fact[] {
  const trimmed = raw.trim();
  if (trimmed.startsWith('{') && trimmed.endsWith('}')) {
    try {
      const parsed = JSON.parse(trimmed) as unknown;
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
        const fact = structuredFact(parsed as Record<string, unknown>, label);
        return fact ? [fact] : [];
      }
    } catch {
      // Not JSON after all: read it as text.
    }
  }
  const said = SPEAKER.exec(trimmed);
  const speaker = said && !NOT_SPEAKERS.has(said[1]!.toLowerCase()) ? said[1] : undefined;
  const line = speaker ? said![2]! : trimmed;
  return splitSentences(line).flatMap((sentence): Fact[] => {
    const labelled = LABEL.exec(sentence);
    const text = capitalise(labelled ? sentence.slice(labelled[0].length) : sentence);
    if (text.replace(/\W/g, '').length < 2) return [];
    const kind = labelled ? (lastKindIn(labelled[1]!) ?? classify(sentence)) : (label ?? classify(sentence));
    const owner = speaker ?? ownerIn(sentence);
    const due = dueIn(sentence) ?? (kind === 'action' ? dueIn(line) : undefined);
    return [{ text, line, kind, ...(owner ? { speaker: owner } : {}), ...(due ? { due } : {}) }];
  });
}

/**
 * Facts in a text read in full (a file, a tool result, a memory): every line, split into
 * sentences, `Speaker: ...` attributed, list items labelled by the heading before them.
 */
export function factsFromDocument(text: string): Fact[] {
  return parseLines(text, false);
}

/**
 * Facts in an instruction: only its list items (`- ...` lines, as rendered step outputs are),
 * each labelled by the text just before its list ("Decisions (" → decision). The instruction's
 * own sentences are orders, not facts.
 */
export function factsFromInstruction(text: string): Fact[] {
  return parseLines(text, true);
}

function parseLines(text: string, bulletsOnly: boolean): Fact[] {
  const facts: Fact[] = [];
  let context = '';
  let label: FactKind | undefined;
  let inList = false;
  for (const raw of text.split(/\r?\n/)) {
    const bullet = BULLET.exec(raw);
    if (bullet) {
      if (!inList) label = lastKindIn(context);
      inList = true;
      facts.push(...lineFacts(bullet[1]!, label));
      continue;
    }
    if (inList) context = '';
    inList = false;
    context += `${raw}\n`;
    if (!bulletsOnly && raw.trim()) {
      // A Markdown heading labels what follows; it is not a fact itself.
      if (/^#{1,6}\s/.test(raw.trim())) continue;
      facts.push(...lineFacts(raw, undefined));
    }
  }
  return facts;
}

/** How a fact reads as a list item: the sentence, or its short line for actions and questions. */
export function quote(fact: Fact): string {
  if ((fact.kind === 'action' || fact.kind === 'question') && fact.line.length <= MAX_QUOTED_LINE) {
    return capitalise(fact.line.replace(LABEL, ''));
  }
  return fact.text;
}

export type PathIntent = 'read' | 'write' | 'update';

export interface PathMention {
  path: string;
  intent: PathIntent;
}

/**
 * Extensions a file named without a folder must have to count as a path (`IMPLEMENTATION.md`),
 * so that abbreviations and host names (`e.g.`, `example.com`) are not taken for files.
 */
export const FILE_EXTENSIONS = [
  'md',
  'html',
  'css',
  'js',
  'ts',
  'json',
  'yaml',
  'yml',
  'txt',
  'csv',
] as const;

/**
 * Relative paths: with a folder and any short extension (`site/index.html`, `src/app.tsx`), or a
 * bare file name with a known extension (`IMPLEMENTATION.md`); not part of a URL, an e-mail
 * address or an absolute path, and not followed by more name (`x.json.gz`).
 */
const PATH = new RegExp(
  String.raw`(?<![\w./:@~-])` +
    String.raw`((?:[\w-][\w.-]*\/)+[\w.-]*\w\.[A-Za-z][A-Za-z0-9]{0,9}` +
    String.raw`|[\w-][\w.-]*\.(?:${FILE_EXTENSIONS.join('|')}))` +
    String.raw`(?![\w/]|[.-]\w)`,
  'g',
);
/** Bare names that are products, not files (`Node.js 20`). */
const PRODUCT_NAMES =
  /^(?:node|next|nuxt|vue|react|express|nest|three|d3|chart|ember|backbone|alpine|solid|socket\.io)\.js$/i;

/** Verbs that ask for a file to be made. */
const WRITE_VERBS =
  /\b(write|writes|writing|produce|create|save|store|generate|draft|implement|build|add|output|export|put|publish|emit|record)\b/gi;
/** Verbs and prepositions that name something to work from. */
const READ_VERBS =
  /\b(read|reads|reading|open|load|review|use|using|parse|analy[sz]e|summari[sz]e|from|of|see|check|inspect|consult|study|weigh|compare|verify|audit|examine|follow|honou?r|respect|based|given|with|against|per)\b/gi;
/** Verbs that ask for an existing file to be changed: read it, then write it. */
const UPDATE_VERBS = /\b(update|append|edit|revise|extend|amend|fix|modify|refactor)\b/gi;
/**
 * A target preposition right before the path (`save it to out/x.md`, `... into notes.md`,
 * `... as report.json`), past articles and words like "the file" or "workspace".
 */
const TARGET_LEAD =
  /(?:^|[^\w-])(\w+[\s-]+)?(to|into|as)\s+(?:(?:the|a|an|new|file|workspace|folder|called|named)\s+)*[`'"“(]*$/i;
/** Words before `to`/`as` that make it a reference to read, not a target (`according to`, `such as`). */
const REFERENCE_LEAD =
  /^(according|due|compared|similar|refer|referring|related|relative|prior|up|next|close|link|links|pointing|points|such|same)$/i;

function lastMatch(pattern: RegExp, text: string): number {
  let last = -1;
  for (const m of text.matchAll(pattern)) last = m.index;
  return last;
}

/** What the words before a path in its sentence ask of it. */
function intentBefore(sentence: string): PathIntent {
  const lead = TARGET_LEAD.exec(sentence);
  if (lead) return REFERENCE_LEAD.test((lead[1] ?? '').trim()) ? 'read' : 'write';
  const write = lastMatch(WRITE_VERBS, sentence);
  const read = lastMatch(READ_VERBS, sentence);
  const update = lastMatch(UPDATE_VERBS, sentence);
  const nearest = Math.max(write, read, update);
  if (nearest < 0 || nearest === read) return 'read';
  return nearest === update ? 'update' : 'write';
}

/**
 * Workspace paths an instruction mentions, each with what the nearest verb before it in its
 * sentence asks: write (`Write meetings/summary.md`, `Implement site/index.html and
 * site/styles.css`, `save it to out/x.md`), update (read, then write) or read (anything else,
 * `... from site/DESIGN.md`). A list joined by "and" or commas shares its verb. JSON on a line
 * (an embedded schema) is ignored.
 */
export function workspacePaths(instruction: string): PathMention[] {
  const text = instruction.replace(/\{[^\n]*"type"[^\n]*\}/g, ' ');
  const seen = new Map<string, PathMention>();
  for (const m of text.matchAll(PATH)) {
    const path = m[1]!;
    if (path.split('/').some((part) => part === '..' || part === '.')) continue;
    if (!path.includes('/') && PRODUCT_NAMES.test(path)) continue;
    const before = text.slice(0, m.index);
    const boundary = Math.max(
      lastMatch(/[.!?;](?=\s)|\n\s*\n/g, before),
      before.lastIndexOf('\n- '),
      before.lastIndexOf('\n* '),
    );
    const intent = intentBefore(before.slice(boundary + 1));
    const previous = seen.get(path);
    // Mentioned twice ("read a.md ... then update a.md"): the stronger wish wins.
    if (!previous || (previous.intent === 'read' && intent !== 'read')) seen.set(path, { path, intent });
  }
  return [...seen.values()];
}

/** Absolute http(s) URLs in a text, trailing punctuation dropped. */
export function urlsIn(text: string): string[] {
  const urls = [...text.matchAll(/\bhttps?:\/\/[^\s"'<>`)\]]+/g)].map((m) => m[0].replace(/[.,;:!?]+$/, ''));
  return [...new Set(urls)];
}

/** A quoted title in an instruction (`"SomaGent launch sync"`), if any. */
export function quotedTitle(text: string): string | undefined {
  const m = /["“]([^"”\n{}]{3,80})["”]/.exec(text);
  return m?.[1]?.trim();
}

/** The owner of a fact, if it has one. */
export function ownerOf(fact: Fact | undefined): string | undefined {
  return fact?.fields?.owner ?? fact?.speaker;
}

/** Words of a text, for matching enum members and tool hints. */
export function mentions(text: string, word: string): boolean {
  const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^\\w])${escaped}($|[^\\w])`, 'i').test(text);
}
