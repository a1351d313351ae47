import fc from 'fast-check';
import { countEmails, findUrls } from '../../../constitution';

// The regexes the linear scanners replace: the scanners must find exactly their matches.
const EMAIL_REGEX = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
const URL_REGEX = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>\\]+/gi;

/** Text made of the characters the patterns care about, so matches and near misses are common. */
const textArb = fc
  .array(
    fc.oneof(
      fc.constantFrom('a', 'Z', 'x', '1', '.', '-', '+', '_', '%', '@', ':', '/', ' ', '"', '\\', 'é'),
      fc.constantFrom('://', 'http://', 'a@b.co', 'bob@corp.io', '.com', 'mailto:', 'HTTPS://x.y'),
    ),
    { maxLength: 60 },
  )
  .map((parts) => parts.join(''));

describe('linear PII and URL scanners', () => {
  it('count the same emails as the regex they replace', () => {
    fc.assert(
      fc.property(textArb, (text) => {
        expect(countEmails(text)).toBe(text.match(EMAIL_REGEX)?.length ?? 0);
      }),
      { numRuns: 5000 },
    );
  });

  it('find the same URLs as the regex they replace', () => {
    fc.assert(
      fc.property(textArb, (text) => {
        expect(findUrls(text)).toEqual(text.match(URL_REGEX) ?? []);
      }),
      { numRuns: 5000 },
    );
  });

  it('handle the cases that made the regexes quadratic', () => {
    const run = 'x'.repeat(100_000);
    expect(countEmails(run)).toBe(0);
    expect(countEmails(`${run}@corp.io`)).toBe(1);
    expect(findUrls(`${'a-'.repeat(50_000)}://host`)).toEqual([`a-${'a-'.repeat(49_999)}://host`]);
    expect(findUrls('see a.b.c://x, _://y and HTTP://Z')).toEqual(['a.b.c://x,', 'HTTP://Z']);
  });
});
