import fc from 'fast-check';
import {
  compact,
  estimateTokens,
  messageTokens,
  needsCompaction,
  packContext,
  ROLE_PRIORITY,
  selectForCompaction,
  SUMMARY_PREFIX,
  totalTokens,
  type ContextMessage,
  type MessageRole,
} from '../../../workflows/context-window';

/** Each message costs exactly `tokens` so budgets are easy to reason about. */
const m = (
  role: MessageRole,
  content: string,
  tokens = 10,
  extra: Partial<ContextMessage> = {},
): ContextMessage => ({
  role,
  content,
  tokens,
  ...extra,
});

describe('token estimate', () => {
  it('is ⌈chars/4 × 1.2⌉ and prefers activity-reported counts', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('abcd')).toBe(2);
    expect(estimateTokens('x'.repeat(400))).toBe(120);
    expect(messageTokens({ role: 'user', content: 'x'.repeat(400) })).toBe(124);
    expect(messageTokens({ role: 'user', content: 'x'.repeat(400), tokens: 7 })).toBe(7);
  });

  it('over-estimates what a real BPE tokenizer counts for English prose', async () => {
    const { getEncoding } = await import('js-tiktoken');
    const enc = getEncoding('cl100k_base');
    const prose =
      'The quarterly report shows revenue growth across all regions, with particular strength in enterprise ' +
      'subscriptions. Operating costs rose modestly while margins improved for the third consecutive quarter.';
    expect(estimateTokens(prose)).toBeGreaterThanOrEqual(enc.encode(prose).length);
  });
});

describe('packContext', () => {
  it('keeps everything when it fits, in the original order', () => {
    const messages = [m('system', 's'), m('user', 'u'), m('assistant', 'a'), m('tool', 't')];
    expect(packContext(messages, 40)).toEqual({ messages, tokens: 40, dropped: [] });
  });

  it('packs by priority system > user > assistant > tool, newest first within a role', () => {
    const messages = [
      m('system', 'sys'), // 0
      m('user', 'u1'), // 1
      m('assistant', 'a1'), // 2
      m('tool', 't1'), // 3
      m('user', 'u2'), // 4
      m('assistant', 'a2'), // 5
      m('tool', 't2'), // 6
    ];
    const packed = packContext(messages, 50);
    expect(packed.messages.map((x) => x.content)).toEqual(['sys', 'u1', 'a1', 'u2', 'a2']);
    expect(packed.dropped).toEqual([3, 6]);
    expect(packed.tokens).toBe(50);
    expect(packContext(messages, 35).messages.map((x) => x.content)).toEqual(['sys', 'u1', 'u2']);
    expect(packContext(messages, 25).messages.map((x) => x.content)).toEqual(['sys', 'u2']);
  });

  it('skips a message that does not fit and still takes smaller older ones', () => {
    const messages = [m('system', 'sys', 5), m('user', 'old small', 5), m('user', 'new huge', 100)];
    expect(packContext(messages, 20).messages.map((x) => x.content)).toEqual(['sys', 'old small']);
  });

  it('keeps an assistant tool call and its results together', () => {
    const messages = [
      m('system', 'sys'),
      m('user', 'q'),
      m('assistant', 'call', 10, { group: 'c1' }),
      m('tool', 'result', 10, { group: 'c1' }),
      m('assistant', 'answer'),
    ];
    // 30 fits sys + q + answer; the group (20) would not fit with answer, so neither half goes in
    expect(packContext(messages, 30).messages.map((x) => x.content)).toEqual(['sys', 'q', 'answer']);
    // the group has the assistant's priority, so it beats a lone tool message
    const withTool = [...messages.slice(0, 4), m('tool', 'stray')];
    expect(packContext(withTool, 40).messages.map((x) => x.content)).toEqual(['sys', 'q', 'call', 'result']);
  });

  it('uses the injected counter', () => {
    const messages = [m('system', 'aaaa'), m('user', 'bb')];
    const byLength = (x: ContextMessage) => x.content.length;
    expect(packContext(messages, 3, byLength).messages.map((x) => x.content)).toEqual(['bb']);
    expect(packContext(messages, 4, byLength).messages.map((x) => x.content)).toEqual(['aaaa']);
    expect(packContext(messages, 6, byLength).messages.map((x) => x.content)).toEqual(['aaaa', 'bb']);
  });

  it('never exceeds the budget and keeps the input order (property)', () => {
    const message = fc.record({
      role: fc.constantFrom<MessageRole>('system', 'user', 'assistant', 'tool'),
      content: fc.string({ maxLength: 5 }),
      tokens: fc.integer({ min: 0, max: 50 }),
    });
    fc.assert(
      fc.property(
        fc.array(message, { maxLength: 30 }),
        fc.integer({ min: 0, max: 400 }),
        (messages, budget) => {
          const packed = packContext(messages, budget);
          expect(packed.tokens).toBeLessThanOrEqual(budget);
          expect(packed.tokens).toBe(totalTokens(packed.messages));
          const keptIndexes = messages.map((_, i) => i).filter((i) => !packed.dropped.includes(i));
          expect(packed.messages).toEqual(keptIndexes.map((i) => messages[i]));
          // greedy by (priority, newest first): a message was dropped only because what was
          // already taken before it in that order left no room for it
          const rank = (i: number) => ROLE_PRIORITY[messages[i]!.role] * 1000 - i;
          for (const i of packed.dropped) {
            const takenBefore = keptIndexes
              .filter((j) => rank(j) < rank(i))
              .reduce((sum, j) => sum + messages[j]!.tokens, 0);
            expect(takenBefore + messages[i]!.tokens).toBeGreaterThan(budget);
          }
        },
      ),
    );
  });
});

describe('compaction', () => {
  const transcript = [
    m('system', 'You are an analyst.'),
    m('user', 'task'),
    m('assistant', 'a1'),
    m('user', 'u2'),
    m('assistant', 'a2', 10, { group: 'g' }),
    m('tool', 't2', 10, { group: 'g' }),
    m('assistant', 'a3'),
    m('user', 'u4'),
  ];

  it('triggers above 80% of the budget', () => {
    expect(totalTokens(transcript)).toBe(80);
    expect(needsCompaction(transcript, 100)).toBe(false);
    expect(needsCompaction(transcript, 99)).toBe(true);
    expect(needsCompaction(transcript, 100, messageTokens, 0.5)).toBe(true);
  });

  it('folds the oldest turns, keeps instructions and the recent tail, never splits a group', () => {
    const { fold, keep } = selectForCompaction(transcript, { keepRecent: 3 });
    // the cut would fall between a2 and t2: it moves back to keep the group whole
    expect(fold.map((x) => x.content)).toEqual(['task', 'a1', 'u2']);
    expect(keep.map((x) => x.content)).toEqual(['You are an analyst.', 'a2', 't2', 'a3', 'u4']);
  });

  it('replaces the folded turns with one summary after the instructions', () => {
    const compacted = compact(
      transcript,
      { text: 'User asked for a task; a1 answered.', tokens: 12 },
      { keepRecent: 3 },
    );
    expect(compacted.map((x) => x.content)).toEqual([
      'You are an analyst.',
      `${SUMMARY_PREFIX}User asked for a task; a1 answered.`,
      'a2',
      't2',
      'a3',
      'u4',
    ]);
    expect(compacted[1]).toMatchObject({ role: 'system', kind: 'summary', tokens: 12 });
    expect(totalTokens(compacted)).toBeLessThan(totalTokens(transcript));
  });

  it('folds the previous summary into the next one, first in line', () => {
    const once = compact(transcript, { text: 'S1' }, { keepRecent: 3 });
    const longer = [...once, m('assistant', 'a5'), m('user', 'u6')];
    const { fold } = selectForCompaction(longer, { keepRecent: 2 });
    expect(fold[0]!.content).toBe(`${SUMMARY_PREFIX}S1`);
    const twice = compact(longer, { text: 'S2' }, { keepRecent: 2 });
    expect(twice.filter((x) => x.kind === 'summary').map((x) => x.content)).toEqual([`${SUMMARY_PREFIX}S2`]);
    expect(twice.map((x) => x.content).slice(-2)).toEqual(['a5', 'u6']);
  });

  it('does nothing when there is nothing old enough to fold', () => {
    const short = transcript.slice(0, 3);
    expect(selectForCompaction(short).fold).toEqual([]);
    expect(compact(short, { text: 'unused' })).toEqual(short);
  });
});
