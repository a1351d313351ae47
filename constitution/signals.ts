import type { PiiKind } from './descriptor';

/**
 * Signal extraction from raw tool arguments: PII patterns and hosts. Pure (no Node built-ins):
 * the same code runs in the worker's gate and in tests.
 */

/** Limits that keep scanning bounded for huge or deeply nested arguments. */
export const SCAN_LIMITS = {
  /** Characters of string content scanned in total. */
  maxChars: 262_144, // 256 KiB
  /** Nesting depth of objects/arrays walked. */
  maxDepth: 16,
} as const;

// Emails and URLs are found from their anchor ('@', '://') outward rather than by one regex:
// `[A-Za-z0-9._%+-]+@` run over text retries from every position of a long run without an '@'
// and takes quadratic time (a 256 KiB argument of letters would stall the worker for a minute).
// The scanners below give exactly the matches of the regexes they replace, in linear time.
const EMAIL_DOMAIN = /[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/y;
const URL_REST = /[^\s"'<>\\]+/y;
// Phone numbers need separators or a leading + so that ids and amounts are not taken for them.
// ...and must not be a slice of a longer digit group (an order or card number).
const PHONE =
  /(?<![\w+]|\d[ .-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?|\d{2,4}[ .-])\d{3,4}[ .-]\d{3,4}(?![\w-]|[ .-]\d)|(?<![\w+])\+\d{8,15}(?!\w)/g;
// A leading + marks an international phone number, never a card.
const CARD_CANDIDATE = /(?<![\d+])(?:\d[ -]?){12,18}\d(?!\d)/g;
const IBAN_CANDIDATE = /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b/g;
const SSN = /(?<!\d)(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?!\d)/g;

const isAsciiLetter = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isDigit = (c: number) => c >= 48 && c <= 57;
/** `[A-Za-z0-9._%+-]`: characters of an email's local part. */
const isLocalPartChar = (c: number) =>
  isAsciiLetter(c) || isDigit(c) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45;
/** `[a-z0-9+.-]` (any case): characters of a URL scheme. */
const isSchemeChar = (c: number) => isAsciiLetter(c) || isDigit(c) || c === 43 || c === 46 || c === 45;
/** `\w`. */
const isWordChar = (c: number) => isAsciiLetter(c) || isDigit(c) || c === 95;

/**
 * Email addresses in `text`: the matches of
 * `/[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g`, in linear time.
 */
export function countEmails(text: string): number {
  let count = 0;
  let from = 0;
  for (let at = text.indexOf('@', from); at !== -1; at = text.indexOf('@', from)) {
    // A match reaching this '@' starts at the beginning of the local-part run before it (no
    // earlier than where the last match ended); if the domain fails, no start in the run works.
    let start = at;
    while (start > from && isLocalPartChar(text.charCodeAt(start - 1))) start -= 1;
    EMAIL_DOMAIN.lastIndex = at + 1;
    if (start < at && EMAIL_DOMAIN.test(text)) {
      count += 1;
      from = EMAIL_DOMAIN.lastIndex;
    } else {
      from = at + 1;
    }
  }
  return count;
}

/**
 * Absolute URLs in `text`: the matches of `/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>\\]+/gi`, in
 * linear time.
 */
export function findUrls(text: string): string[] {
  const urls: string[] = [];
  let from = 0;
  for (let sep = text.indexOf('://', from); sep !== -1; sep = text.indexOf('://', from)) {
    let runStart = sep;
    while (runStart > from && isSchemeChar(text.charCodeAt(runStart - 1))) runStart -= 1;
    // The leftmost start: a letter at a word boundary inside the scheme run.
    let start = -1;
    for (let i = runStart; i < sep; i += 1) {
      if (isAsciiLetter(text.charCodeAt(i)) && (i === 0 || !isWordChar(text.charCodeAt(i - 1)))) {
        start = i;
        break;
      }
    }
    URL_REST.lastIndex = sep + 3;
    if (start !== -1 && URL_REST.test(text)) {
      urls.push(text.slice(start, URL_REST.lastIndex));
      from = URL_REST.lastIndex;
    } else {
      from = sep + 1;
    }
  }
  return urls;
}

/** Luhn checksum over a digit string (credit-card numbers). */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i -= 1) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/** ISO 13616 mod-97 check of an IBAN (spaces ignored). */
export function ibanValid(candidate: string): boolean {
  const iban = candidate.replace(/ /g, '');
  if (iban.length < 15 || iban.length > 34) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0);
    const value = code >= 65 && code <= 90 ? String(code - 55) : ch;
    for (const digit of value) remainder = (remainder * 10 + (digit.charCodeAt(0) - 48)) % 97;
  }
  return remainder === 1;
}

/** PII found in a text: count per kind. */
export type PiiCounts = Partial<Record<PiiKind, number>>;

/** Counts PII matches of every kind in `text`; card numbers must pass Luhn, IBANs mod-97. */
export function detectPii(text: string): PiiCounts {
  const counts: PiiCounts = {};
  const add = (kind: PiiKind, n: number) => {
    if (n > 0) counts[kind] = (counts[kind] ?? 0) + n;
  };
  add('email', countEmails(text));
  add('ssn', text.match(SSN)?.length ?? 0);
  // Card numbers, IBANs and SSNs also look like phone numbers: blank each confirmed match out
  // before looking for phones so one number is counted once.
  let rest = text.replace(SSN, ' ');
  let cards = 0;
  rest = rest.replace(CARD_CANDIDATE, (m) => {
    const digits = m.replace(/[ -]/g, '');
    if (digits.length < 13 || !luhnValid(digits)) return m;
    cards += 1;
    return ' ';
  });
  add('creditCard', cards);
  let ibans = 0;
  rest = rest.replace(IBAN_CANDIDATE, (m) => {
    if (!ibanValid(m)) return m;
    ibans += 1;
    return ' ';
  });
  add('iban', ibans);
  const phones = rest.match(PHONE)?.length ?? 0;
  add('phone', phones);
  return counts;
}

/**
 * URL schemes that name platform objects, not network endpoints: `snapshot://support/owners`
 * is a memory snapshot of the `support` namespace, not a host called `support`.
 */
const PLATFORM_SCHEMES = new Set(['snapshot:']);

/** Lower-case hosts of every absolute URL in `text` (unparseable URLs are skipped). */
export function extractHosts(text: string): string[] {
  const hosts: string[] = [];
  for (const m of findUrls(text)) {
    try {
      const url = new URL(m);
      if (PLATFORM_SCHEMES.has(url.protocol.toLowerCase())) continue;
      const host = url.hostname.toLowerCase();
      if (host) hosts.push(host.replace(/^\[|\]$/g, ''));
    } catch {
      // Not a URL after all (e.g. "a://"): nothing to contact.
    }
  }
  return hosts;
}

/** Whether `host` matches an allowlist entry: exact, or `*.example.com` for any subdomain. */
export function hostMatches(host: string, pattern: string): boolean {
  const p = pattern.toLowerCase();
  if (p.startsWith('*.')) {
    const suffix = p.slice(1);
    return host.endsWith(suffix) && host.length > suffix.length;
  }
  return host === p;
}

/** Whether `host` matches any entry of `allowlist`. */
export function hostAllowed(host: string, allowlist: readonly string[]): boolean {
  for (const pattern of allowlist) if (hostMatches(host, pattern)) return true;
  return false;
}

/** Every string in a JSON-like value (keys included), bounded by {@link SCAN_LIMITS}. */
export function collectStrings(value: unknown): string[] {
  const out: string[] = [];
  let budget: number = SCAN_LIMITS.maxChars;
  const walk = (v: unknown, depth: number): void => {
    if (budget <= 0 || depth > SCAN_LIMITS.maxDepth) return;
    if (typeof v === 'string') {
      const s = v.length > budget ? v.slice(0, budget) : v;
      budget -= s.length;
      out.push(s);
    } else if (typeof v === 'number' || typeof v === 'bigint') {
      // Card numbers and phone numbers are sometimes sent as numbers.
      out.push(String(v));
    } else if (Array.isArray(v)) {
      for (const item of v) walk(item, depth + 1);
    } else if (v !== null && typeof v === 'object') {
      for (const [key, item] of Object.entries(v as Record<string, unknown>)) {
        walk(key, depth + 1);
        walk(item, depth + 1);
      }
    }
  };
  walk(value, 0);
  return out;
}

/** Signals of one argument object. */
export interface ArgSignals {
  pii: PiiKind[];
  piiCount: number;
  hosts: string[];
}

/** Scans raw tool arguments for PII and hosts. */
export function extractSignals(args: unknown): ArgSignals {
  const totals: PiiCounts = {};
  const hosts = new Set<string>();
  for (const s of collectStrings(args)) {
    for (const [kind, n] of Object.entries(detectPii(s)) as [PiiKind, number][]) {
      totals[kind] = (totals[kind] ?? 0) + n;
    }
    for (const h of extractHosts(s)) hosts.add(h);
  }
  // A bare `host` argument (no scheme) names a host too.
  if (args !== null && typeof args === 'object' && !Array.isArray(args)) {
    const host = (args as Record<string, unknown>).host;
    if (typeof host === 'string' && /^[a-z0-9.-]+$/i.test(host)) hosts.add(host.toLowerCase());
  }
  const pii = (Object.keys(totals) as PiiKind[]).sort();
  return {
    pii,
    piiCount: pii.reduce((n, k) => n + (totals[k] ?? 0), 0),
    hosts: [...hosts].sort(),
  };
}
