/** Kafka topics: fixed contract (docs/ARCHITECTURE.md §5). */
export const TOPICS = {
  audit: 'somagent.audit.v1',
  training: 'somagent.training.v1',
  constitution: 'somagent.constitution.v1',
} as const;

export type Topic = (typeof TOPICS)[keyof typeof TOPICS];

/**
 * Which topic an event type belongs on: `constitution.*` and `training.*` have their own topics;
 * everything else (gate decisions, run lifecycle, tool calls) is audit.
 */
export function topicForType(type: string): Topic {
  if (type.startsWith('constitution.')) return TOPICS.constitution;
  if (type.startsWith('training.')) return TOPICS.training;
  return TOPICS.audit;
}
