import { z } from 'zod';
import { parseInput } from '../shared/failures';
import { currentInvocation, idempotencyKey, type Invocation } from '../shared/invocation';
import type { MemoryNeighbour, MemoryStore, RecalledMemory } from './memory-store';

const scope = z.object({
  tenant: z.string().min(1),
  capsule: z.string().min(1).optional(),
  persona: z.string().min(1).optional(),
});

export const memoryRecallInputSchema = z.object({
  scope,
  query: z.string().min(1).max(2000),
  limit: z.number().int().min(1).max(100).optional(),
  kinds: z.array(z.string().min(1)).optional(),
  /** Also return memories linked to the hits, up to this many hops (0: none). */
  neighbourDepth: z.number().int().min(0).max(3).default(0),
});
export type MemoryRecallInput = z.input<typeof memoryRecallInputSchema>;

export interface MemoryRecallResult {
  memories: RecalledMemory[];
  /** By the id of the recalled memory they are linked to. */
  neighbours: Record<string, MemoryNeighbour[]>;
}

export const memoryRememberInputSchema = z.object({
  scope,
  content: z.string().min(1).max(100_000),
  kind: z.string().min(1).max(64).optional(),
  tags: z.array(z.string().min(1).max(64)).max(50).optional(),
  links: z.array(z.object({ to: z.uuid(), relation: z.string().min(1).max(64) })).optional(),
});
export type MemoryRememberInput = z.input<typeof memoryRememberInputSchema>;

/**
 * Memory activities for workflows (recall before an SLM turn, a summary at the end of a run).
 * `memoryRemember` is idempotent per activity, so a retry stores the memory once.
 */
export function createMemoryActivities({
  store,
  invocation = currentInvocation,
}: {
  store: MemoryStore;
  invocation?: () => Invocation;
}) {
  return {
    async memoryRecall(rawInput: MemoryRecallInput): Promise<MemoryRecallResult> {
      const input = parseInput(memoryRecallInputSchema, rawInput, 'memoryRecall');
      const memories = await store.recall(input);
      const neighbours: Record<string, MemoryNeighbour[]> = {};
      if (input.neighbourDepth > 0) {
        for (const m of memories) {
          neighbours[m.id] = await store.neighbours({
            scope: input.scope,
            id: m.id,
            depth: input.neighbourDepth,
          });
        }
      }
      return { memories, neighbours };
    },

    async memoryRemember(rawInput: MemoryRememberInput): Promise<{ id: string; created: boolean }> {
      const input = parseInput(memoryRememberInputSchema, rawInput, 'memoryRemember');
      return store.remember({ ...input, idempotencyKey: idempotencyKey(invocation()) });
    },
  };
}

export type MemoryActivities = ReturnType<typeof createMemoryActivities>;
