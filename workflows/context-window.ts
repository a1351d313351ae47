import { COMPACTION_THRESHOLD } from './shared/presets';

/**
 * The persona's context window: which messages go to the model when the transcript outgrows the
 * token budget, and when and how old turns fold into a summary. Token counts are either reported
 * by activities (the provider's own count, stored on the message) or estimated here with a cheap,
 * deterministic rule that is safe in the sandbox. Pure; sandbox-safe.
 */

export type MessageRole = 'system' | 'user' | 'assistant' | 'tool';

export interface ContextMessage {
  role: MessageRole;
  content: string;
  /** Token count reported by an activity; when absent, {@link estimateTokens} is used. */
  tokens?: number;
  /**
   * Messages sharing a group (an assistant tool call and its tool results) are kept or dropped
   * together, so the model never sees a tool result without its call.
   */
  group?: string;
  /** `summary` marks the message that holds compacted history. */
  kind?: 'summary';
}

/** Lower packs first: system > user > assistant > tool. */
export const ROLE_PRIORITY: Readonly<Record<MessageRole, number>> = Object.freeze({
  system: 0,
  user: 1,
  assistant: 2,
  tool: 3,
});

/** Characters per token the estimate assumes (English prose with BPE tokenizers is ~4). */
export const CHARS_PER_TOKEN = 4;
/** Over-estimate by this factor so code, JSON and non-Latin text rarely exceed the budget. */
export const ESTIMATE_SAFETY_MARGIN = 1.2;
/** Per-message framing tokens (role markers, separators) chat formats add. */
export const MESSAGE_OVERHEAD_TOKENS = 4;

/** A function giving a message's size in tokens. */
export type TokenCounter = (message: ContextMessage) => number;

/** Deterministic token estimate of a text: ⌈chars / 4 × 1.2⌉. Counts UTF-16 code units. */
export function estimateTokens(text: string): number {
  return Math.ceil((text.length / CHARS_PER_TOKEN) * ESTIMATE_SAFETY_MARGIN);
}

/** A message's tokens: the activity-reported count when present, else the estimate plus framing. */
export const messageTokens: TokenCounter = (message) =>
  message.tokens ?? estimateTokens(message.content) + MESSAGE_OVERHEAD_TOKENS;

/** Total tokens of a list of messages. */
export function totalTokens(
  messages: readonly ContextMessage[],
  countTokens: TokenCounter = messageTokens,
): number {
  return messages.reduce((sum, m) => sum + countTokens(m), 0);
}

export interface PackedContext {
  /** The messages that fit, in their original order. */
  messages: ContextMessage[];
  tokens: number;
  /** Indexes (into the input) of messages left out. */
  dropped: number[];
}

/**
 * Chooses the messages that fit in `tokenBudget`: by role priority (system > user > assistant >
 * tool), newest first within a role, skipping what does not fit and trying the next; a group
 * counts as one unit with its best role and newest position. The result keeps the input order.
 */
export function packContext(
  messages: readonly ContextMessage[],
  tokenBudget: number,
  countTokens: TokenCounter = messageTokens,
): PackedContext {
  const units = toUnits(messages, countTokens);
  units.sort((a, b) => a.priority - b.priority || b.newest - a.newest);
  const kept = new Set<number>();
  let used = 0;
  for (const unit of units) {
    if (used + unit.tokens > tokenBudget) continue;
    used += unit.tokens;
    for (const index of unit.indexes) kept.add(index);
  }
  const result: PackedContext = { messages: [], tokens: used, dropped: [] };
  messages.forEach((message, index) => {
    if (kept.has(index)) result.messages.push(message);
    else result.dropped.push(index);
  });
  return result;
}

/** True when the messages use more than `threshold` (default 80%) of the budget. */
export function needsCompaction(
  messages: readonly ContextMessage[],
  tokenBudget: number,
  countTokens: TokenCounter = messageTokens,
  threshold: number = COMPACTION_THRESHOLD,
): boolean {
  return totalTokens(messages, countTokens) > tokenBudget * threshold;
}

export interface CompactionOptions {
  /** Newest non-system messages kept verbatim (rounded down to a group boundary). @default 6 */
  keepRecent?: number;
}

export interface CompactionSelection {
  /** Messages to summarize, oldest first; a previous summary comes first when there is one. */
  fold: ContextMessage[];
  /** Messages kept as they are (leading instructions and the recent tail), in order. */
  keep: ContextMessage[];
}

/**
 * Splits the transcript for compaction: system instructions (not summaries) and the newest
 * `keepRecent` messages stay, everything older (including an earlier summary) is folded.
 * The workflow passes `fold` to a summarize activity, then calls {@link compact} with its result.
 */
export function selectForCompaction(
  messages: readonly ContextMessage[],
  options: CompactionOptions = {},
): CompactionSelection {
  const keepRecent = options.keepRecent ?? 6;
  const conversational = messages
    .map((message, index) => ({ message, index }))
    .filter(({ message }) => message.role !== 'system' || message.kind === 'summary');
  let cut = Math.max(0, conversational.length - keepRecent);
  // Never split a group: move the cut back to the group's first message.
  while (cut > 0 && cut < conversational.length) {
    const group = conversational[cut]!.message.group;
    if (group === undefined || conversational[cut - 1]!.message.group !== group) break;
    cut -= 1;
  }
  const foldIndexes = new Set(conversational.slice(0, cut).map(({ index }) => index));
  const fold: ContextMessage[] = [];
  const keep: ContextMessage[] = [];
  messages.forEach((message, index) => (foldIndexes.has(index) ? fold : keep).push(message));
  fold.sort((a, b) => Number(b.kind === 'summary') - Number(a.kind === 'summary'));
  return { fold, keep };
}

/**
 * Replaces the folded messages with one summary message placed after the leading system
 * instructions. `summary` is the summarize activity's result (with its token count when the
 * activity reported one). Returns the messages unchanged when there is nothing to fold.
 */
export function compact(
  messages: readonly ContextMessage[],
  summary: { text: string; tokens?: number },
  options: CompactionOptions = {},
): ContextMessage[] {
  const { fold, keep } = selectForCompaction(messages, options);
  if (fold.length === 0) return [...messages];
  const summaryMessage: ContextMessage = {
    role: 'system',
    kind: 'summary',
    content: `${SUMMARY_PREFIX}${summary.text}`,
    ...(summary.tokens !== undefined ? { tokens: summary.tokens } : {}),
  };
  const firstConversational = keep.findIndex((m) => m.role !== 'system');
  const at = firstConversational < 0 ? keep.length : firstConversational;
  return [...keep.slice(0, at), summaryMessage, ...keep.slice(at)];
}

/** Prefix of the summary message's content. */
export const SUMMARY_PREFIX = 'Summary of the earlier conversation:\n';

interface Unit {
  indexes: number[];
  priority: number;
  newest: number;
  tokens: number;
}

function toUnits(messages: readonly ContextMessage[], countTokens: TokenCounter): Unit[] {
  const units: Unit[] = [];
  const byGroup = new Map<string, Unit>();
  messages.forEach((message, index) => {
    const priority = ROLE_PRIORITY[message.role];
    const tokens = countTokens(message);
    const existing = message.group === undefined ? undefined : byGroup.get(message.group);
    if (existing) {
      existing.indexes.push(index);
      existing.priority = Math.min(existing.priority, priority);
      existing.newest = index;
      existing.tokens += tokens;
      return;
    }
    const unit: Unit = { indexes: [index], priority, newest: index, tokens };
    units.push(unit);
    if (message.group !== undefined) byGroup.set(message.group, unit);
  });
  return units;
}
