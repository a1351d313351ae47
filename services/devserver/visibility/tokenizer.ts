import { VisibilityQueryError } from './errors';

/** Token kinds of the list-filter language. */
export type TokenKind =
  'identifier' | 'keyword' | 'string' | 'number' | 'operator' | 'lparen' | 'rparen' | 'comma' | 'eof';

/** One lexical token; `column` is 1-based, `text` the source slice. */
export interface Token {
  kind: TokenKind;
  /** Identifier name, unescaped string, upper-cased keyword, operator, or number text. */
  value: string;
  text: string;
  column: number;
}

/** Reserved words, matched case-insensitively. Attribute names that collide need backquotes. */
export const KEYWORDS: ReadonlySet<string> = new Set([
  'AND',
  'OR',
  'NOT',
  'IN',
  'BETWEEN',
  'IS',
  'NULL',
  'ORDER',
  'GROUP',
  'BY',
  'ASC',
  'DESC',
  'STARTS_WITH',
  'TRUE',
  'FALSE',
]);

const ESCAPES: Readonly<Record<string, string>> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '0': '\0',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '`': '`',
};

const isIdentStart = (c: string): boolean => /[A-Za-z_]/.test(c);
const isIdentPart = (c: string): boolean => /[A-Za-z0-9_.]/.test(c);
const isDigit = (c: string): boolean => c >= '0' && c <= '9';

/** Splits a query into tokens; throws VisibilityQueryError at the first bad character. */
export function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = query.length;
  while (i < n) {
    const c = query[i]!;
    const column = i + 1;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '(' || c === ')' || c === ',') {
      tokens.push({
        kind: c === '(' ? 'lparen' : c === ')' ? 'rparen' : 'comma',
        value: c,
        text: c,
        column,
      });
      i++;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      const { value, end } = readQuoted(query, i);
      tokens.push({
        kind: c === '`' ? 'identifier' : 'string',
        value,
        text: query.slice(i, end),
        column,
      });
      i = end;
      continue;
    }
    const two = query.slice(i, i + 2);
    if (two === '!=' || two === '<>' || two === '>=' || two === '<=') {
      tokens.push({ kind: 'operator', value: two === '<>' ? '!=' : two, text: two, column });
      i += 2;
      continue;
    }
    if (c === '=' || c === '<' || c === '>') {
      tokens.push({ kind: 'operator', value: c, text: c, column });
      i++;
      continue;
    }
    if (isDigit(c) || ((c === '-' || c === '+') && i + 1 < n && isDigit(query[i + 1]!))) {
      const match = /^[-+]?\d+(\.\d+)?([eE][-+]?\d+)?/.exec(query.slice(i))!;
      const text = match[0];
      if (i + text.length < n && isIdentPart(query[i + text.length]!)) {
        const bad = /^[^\s(),]+/.exec(query.slice(i))![0];
        throw new VisibilityQueryError('malformed number', column, bad);
      }
      tokens.push({ kind: 'number', value: text, text, column });
      i += text.length;
      continue;
    }
    if (isIdentStart(c)) {
      let end = i + 1;
      while (end < n && isIdentPart(query[end]!)) end++;
      const text = query.slice(i, end);
      const upper = text.toUpperCase();
      if (KEYWORDS.has(upper)) tokens.push({ kind: 'keyword', value: upper, text, column });
      else tokens.push({ kind: 'identifier', value: text, text, column });
      i = end;
      continue;
    }
    throw new VisibilityQueryError(`unexpected character '${c}'`, column, c);
  }
  tokens.push({ kind: 'eof', value: '', text: '', column: n + 1 });
  return tokens;
}

function readQuoted(query: string, start: number): { value: string; end: number } {
  const quote = query[start]!;
  let value = '';
  let i = start + 1;
  while (i < query.length) {
    const c = query[i]!;
    if (c === '\\') {
      const next = query[i + 1];
      if (next === undefined) break;
      value += ESCAPES[next] ?? next;
      i += 2;
      continue;
    }
    if (c === quote) {
      // SQL-style doubled quote inside a literal.
      if (query[i + 1] === quote) {
        value += quote;
        i += 2;
        continue;
      }
      return { value, end: i + 1 };
    }
    value += c;
    i++;
  }
  const what = quote === '`' ? 'attribute name' : 'string literal';
  throw new VisibilityQueryError(`unterminated ${what}`, start + 1, query.slice(start, start + 20));
}
