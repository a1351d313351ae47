import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { Embedder } from './embedder';

/**
 * Where a memory lives. A memory stored without `capsule`/`persona` is shared at the wider scope:
 * a recall sees memories of its own scope and of every enclosing one, never of siblings, and
 * never across tenants.
 */
export interface MemoryScope {
  tenant: string;
  capsule?: string;
  persona?: string;
}

export interface MemoryItem {
  id: string;
  tenant: string;
  capsule: string | null;
  persona: string | null;
  kind: string;
  content: string;
  tags: string[];
  createdAt: string;
}

export interface RecalledMemory extends MemoryItem {
  /** Combined relevance in [0, 1]: full-text rank, blended with cosine similarity if embedded. */
  score: number;
  textRank: number;
  similarity: number | null;
}

export interface MemoryNeighbour extends MemoryItem {
  relation: string;
  direction: 'out' | 'in';
  /** Hops from the start memory. */
  depth: number;
}

export interface RememberInput {
  scope: MemoryScope;
  content: string;
  /** @default 'note' */
  kind?: string;
  tags?: string[];
  /** Edges from the new memory to existing ones of the same tenant. */
  links?: { to: string; relation: string }[];
  /** Remembering again with the same key returns the first memory instead of a duplicate. */
  idempotencyKey?: string;
}

export interface RecallInput {
  scope: MemoryScope;
  query: string;
  /** @default 5 */
  limit?: number;
  kinds?: string[];
}

export interface MemoryStore {
  remember(input: RememberInput): Promise<{ id: string; created: boolean }>;
  recall(input: RecallInput): Promise<RecalledMemory[]>;
  link(input: { tenant: string; from: string; to: string; relation: string }): Promise<void>;
  /** Memories linked to `id` (either direction) up to `depth` hops, visible from `scope`. */
  neighbours(input: {
    scope: MemoryScope;
    id: string;
    depth?: number;
    limit?: number;
  }): Promise<MemoryNeighbour[]>;
}

export class MemoryLinkError extends Error {
  override readonly name = 'MemoryLinkError';
}

/** Share of the score given to cosine similarity when embeddings are available. */
const SIMILARITY_WEIGHT = 0.5;
/** Below this cosine similarity a memory without a text match is not recalled. */
const MIN_SIMILARITY = 0.3;

/** Visible from a scope: same tenant; capsule and persona equal to the scope's or shared (NULL). */
const VISIBLE = `tenant = $1 AND (capsule IS NULL OR capsule = $2) AND (persona IS NULL OR persona = $3)`;

interface Row {
  id: string;
  tenant: string;
  capsule: string | null;
  persona: string | null;
  kind: string;
  content: string;
  tags: string[];
  created_at: Date;
}

const toItem = (r: Row): MemoryItem => ({
  id: r.id,
  tenant: r.tenant,
  capsule: r.capsule,
  persona: r.persona,
  kind: r.kind,
  content: r.content,
  tags: r.tags,
  createdAt: r.created_at.toISOString(),
});

/** Words of a free-text query OR-ed, so a memory matching some of them still ranks. */
function toTsQuery(query: string): string {
  const words = query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return [...new Set(words)].join(' | ');
}

/**
 * Long-term memory in Postgres: full-text ranking (tsvector, `ts_rank_cd`), optional embedding
 * similarity (float8[] and SQL cosine; pgvector is not required), and a link graph.
 */
export function createMemoryStore({ pool, embedder }: { pool: Pool; embedder?: Embedder }): MemoryStore {
  const scopeParams = (s: MemoryScope) => [s.tenant, s.capsule ?? null, s.persona ?? null];

  async function link({
    tenant,
    from,
    to,
    relation,
  }: {
    tenant: string;
    from: string;
    to: string;
    relation: string;
  }) {
    const res = await pool.query(
      `INSERT INTO memory_links (tenant, from_id, to_id, relation)
       SELECT $1, a.id, b.id, $4 FROM memory_items a, memory_items b
       WHERE a.id = $2 AND b.id = $3 AND a.tenant = $1 AND b.tenant = $1
       ON CONFLICT DO NOTHING RETURNING 1`,
      [tenant, from, to, relation],
    );
    if (res.rowCount === 0) {
      const exists = await pool.query(
        'SELECT 1 FROM memory_links WHERE from_id = $1 AND to_id = $2 AND relation = $3',
        [from, to, relation],
      );
      if (exists.rowCount === 0) {
        throw new MemoryLinkError(
          `cannot link ${from} -> ${to}: both memories must exist in tenant ${tenant}`,
        );
      }
    }
  }

  return {
    async remember({ scope, content, kind = 'note', tags = [], links = [], idempotencyKey }) {
      const [embedding] = embedder ? await embedder.embed([content]) : [undefined];
      const id = randomUUID();
      const inserted = await pool.query<{ id: string }>(
        `INSERT INTO memory_items (id, tenant, capsule, persona, kind, content, tags, embedding, idempotency_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`,
        [id, ...scopeParams(scope), kind, content, tags, embedding ?? null, idempotencyKey ?? null],
      );
      if (inserted.rowCount === 0) {
        const existing = await pool.query<{ id: string }>(
          'SELECT id FROM memory_items WHERE idempotency_key = $1',
          [idempotencyKey],
        );
        return { id: existing.rows[0]!.id, created: false };
      }
      for (const edge of links)
        await link({ tenant: scope.tenant, from: id, to: edge.to, relation: edge.relation });
      return { id, created: true };
    },

    async recall({ scope, query, limit = 5, kinds }) {
      const tsquery = toTsQuery(query);
      const [vector] = embedder ? await embedder.embed([query]) : [undefined];
      const { rows } = await pool.query<
        Row & { text_rank: number; similarity: number | null; score: number }
      >(
        `WITH q AS (SELECT to_tsquery('english', $4) AS tsq),
         ranked AS (
           SELECT m.*, ts_rank_cd(m.tsv, q.tsq, 32) AS text_rank,
                  CASE WHEN $5::float8[] IS NULL OR m.embedding IS NULL THEN NULL
                       ELSE cosine_similarity(m.embedding, $5::float8[]) END AS similarity,
                  m.tsv @@ q.tsq AS text_match
           FROM memory_items m, q
           WHERE ${VISIBLE.replace(/\b(tenant|capsule|persona)\b/g, 'm.$1')}
             AND ($6::text[] IS NULL OR m.kind = ANY($6::text[]))
         )
         SELECT *, CASE WHEN similarity IS NULL THEN text_rank
                        ELSE ${1 - SIMILARITY_WEIGHT} * text_rank + ${SIMILARITY_WEIGHT} * greatest(similarity, 0) END AS score
         FROM ranked
         WHERE text_match OR similarity >= ${MIN_SIMILARITY}
         ORDER BY score DESC, created_at DESC
         LIMIT $7`,
        [...scopeParams(scope), tsquery, vector ?? null, kinds ?? null, limit],
      );
      return rows.map((r) => ({
        ...toItem(r),
        score: Number(r.score),
        textRank: Number(r.text_rank),
        similarity: r.similarity === null ? null : Number(r.similarity),
      }));
    },

    link,

    async neighbours({ scope, id, depth = 1, limit = 20 }) {
      const { rows } = await pool.query<Row & { relation: string; direction: 'out' | 'in'; depth: number }>(
        `WITH RECURSIVE walk (id, relation, direction, depth, path) AS (
           SELECT $4::uuid, NULL::text, NULL::text, 0, ARRAY[$4::uuid]
           UNION ALL
           SELECT e.next, e.relation, e.direction, w.depth + 1, w.path || e.next
           FROM walk w
           JOIN LATERAL (
             SELECT to_id AS next, relation, 'out' AS direction FROM memory_links WHERE from_id = w.id AND tenant = $1
             UNION ALL
             SELECT from_id, relation, 'in' FROM memory_links WHERE to_id = w.id AND tenant = $1
           ) e ON true
           WHERE w.depth < $5 AND NOT e.next = ANY(w.path)
         )
         SELECT DISTINCT ON (m.id) m.*, w.relation, w.direction, w.depth
         FROM walk w JOIN memory_items m ON m.id = w.id
         WHERE w.depth > 0 AND ${VISIBLE.replace(/\b(tenant|capsule|persona)\b/g, 'm.$1')}
         ORDER BY m.id, w.depth`,
        [...scopeParams(scope), id, depth],
      );
      return rows
        .map((r) => ({ ...toItem(r), relation: r.relation, direction: r.direction, depth: r.depth }))
        .sort((a, b) => a.depth - b.depth || a.createdAt.localeCompare(b.createdAt))
        .slice(0, limit);
    },
  };
}
