import OpenAI from 'openai';
import { createOpenAiEmbedder } from '../../../activities/memory/embedder';
import { createMemoryStore, MemoryLinkError } from '../../../activities/memory/memory-store';
import { startFakeOpenAi, type FakeOpenAi } from '../../support/fake-slm';
import { testPool } from '../../support/pg';
import { uniqueId } from './helpers';

describe('memory store (real Postgres)', () => {
  const pool = testPool();
  const memory = createMemoryStore({ pool });
  afterAll(() => pool.end());

  it('recalls by full-text relevance, best match first', async () => {
    const scope = { tenant: uniqueId('t'), capsule: 'cap', persona: 'dev' };
    await memory.remember({ scope, content: 'The deployment uses Kubernetes with three replicas.' });
    const best = await memory.remember({
      scope,
      content:
        'Database schema decision: Postgres tables for the schema of invoices; schema migrations via SQL.',
    });
    await memory.remember({ scope, content: 'Lunch is at noon.' });
    await memory.remember({ scope, content: 'We chose Postgres over MySQL.' });
    const hits = await memory.recall({ scope, query: 'what did we decide about the Postgres schema?' });
    expect(hits.map((h) => h.id)[0]).toBe(best.id);
    expect(hits.every((h) => !h.content.includes('Lunch'))).toBe(true);
    expect(hits.length).toBe(2);
    expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score);
    expect(hits[0]!.similarity).toBeNull();
  });

  it('scopes recall: own scope and shared wider scopes, never siblings or other tenants', async () => {
    const tenant = uniqueId('t');
    const other = uniqueId('t');
    await memory.remember({ scope: { tenant }, content: 'tenant-wide fact about invoices' });
    await memory.remember({ scope: { tenant, capsule: 'billing' }, content: 'capsule fact about invoices' });
    await memory.remember({
      scope: { tenant, capsule: 'billing', persona: 'qa' },
      content: 'qa note about invoices',
    });
    await memory.remember({
      scope: { tenant, capsule: 'billing', persona: 'dev' },
      content: 'dev note about invoices',
    });
    await memory.remember({ scope: { tenant, capsule: 'hr' }, content: 'hr fact about invoices' });
    await memory.remember({ scope: { tenant: other, capsule: 'billing' }, content: 'foreign invoices' });

    const seen = async (scope: { tenant: string; capsule?: string; persona?: string }) =>
      (await memory.recall({ scope, query: 'invoices', limit: 10 })).map((h) => h.content).sort();
    expect(await seen({ tenant, capsule: 'billing', persona: 'dev' })).toEqual([
      'capsule fact about invoices',
      'dev note about invoices',
      'tenant-wide fact about invoices',
    ]);
    expect(await seen({ tenant, capsule: 'billing' })).toEqual([
      'capsule fact about invoices',
      'tenant-wide fact about invoices',
    ]);
    expect(await seen({ tenant })).toEqual(['tenant-wide fact about invoices']);
    expect(await seen({ tenant: other, capsule: 'billing', persona: 'dev' })).toEqual(['foreign invoices']);
  });

  it('filters by kind and honours the limit', async () => {
    const scope = { tenant: uniqueId('t') };
    for (let i = 0; i < 4; i++)
      await memory.remember({ scope, content: `release note ${i}`, kind: 'summary' });
    await memory.remember({ scope, content: 'release checklist', kind: 'procedure' });
    expect(await memory.recall({ scope, query: 'release', limit: 2 })).toHaveLength(2);
    const procedures = await memory.recall({ scope, query: 'release', kinds: ['procedure'] });
    expect(procedures.map((p) => p.content)).toEqual(['release checklist']);
  });

  it('treats stop-word-only and symbol-only queries as matching nothing, without errors', async () => {
    const scope = { tenant: uniqueId('t') };
    await memory.remember({ scope, content: 'The quick brown fox' });
    expect(await memory.recall({ scope, query: 'the of and' })).toEqual([]);
    expect(await memory.recall({ scope, query: "?!* ' & | :" })).toEqual([]);
    expect((await memory.recall({ scope, query: "fox's & quick!" })).map((m) => m.content)).toEqual([
      'The quick brown fox',
    ]);
  });

  it('is idempotent per key', async () => {
    const scope = { tenant: uniqueId('t') };
    const key = uniqueId('wf/run/act');
    const a = await memory.remember({ scope, content: 'remember this fact', idempotencyKey: key });
    const b = await memory.remember({ scope, content: 'remember this fact', idempotencyKey: key });
    expect(b).toEqual({ id: a.id, created: false });
    expect(a.created).toBe(true);
    expect(await memory.recall({ scope, query: 'fact' })).toHaveLength(1);
  });

  it('links memories and walks neighbours in both directions, within scope and tenant', async () => {
    const tenant = uniqueId('t');
    const scope = { tenant, capsule: 'c' };
    const a = await memory.remember({ scope, content: 'A: requirement' });
    const b = await memory.remember({
      scope,
      content: 'B: design',
      links: [{ to: a.id, relation: 'implements' }],
    });
    const c = await memory.remember({
      scope,
      content: 'C: test',
      links: [{ to: b.id, relation: 'verifies' }],
    });
    const hidden = await memory.remember({
      scope: { tenant, capsule: 'other' },
      content: 'D: other capsule',
    });
    await memory.link({ tenant, from: hidden.id, to: b.id, relation: 'mentions' });

    const one = await memory.neighbours({ scope, id: b.id });
    expect(one.map((n) => [n.content, n.relation, n.direction, n.depth])).toEqual([
      ['A: requirement', 'implements', 'out', 1],
      ['C: test', 'verifies', 'in', 1],
    ]);
    const two = await memory.neighbours({ scope, id: a.id, depth: 2 });
    expect(two.map((n) => [n.content, n.depth])).toEqual([
      ['B: design', 1],
      ['C: test', 2],
    ]);
    expect(two.find((n) => n.id === c.id)).toBeDefined();

    const stranger = await memory.remember({ scope: { tenant: uniqueId('t') }, content: 'elsewhere' });
    await expect(memory.link({ tenant, from: a.id, to: stranger.id, relation: 'x' })).rejects.toBeInstanceOf(
      MemoryLinkError,
    );
  });

  describe('with an embeddings provider (OpenAI wire fake)', () => {
    let fake: FakeOpenAi;
    beforeAll(async () => {
      fake = await startFakeOpenAi({ apiKey: 'sk-embed-test' });
    });
    afterAll(() => fake.close());

    it('stores embeddings and blends cosine similarity into the score', async () => {
      const embedder = createOpenAiEmbedder({
        client: new OpenAI({ apiKey: 'sk-embed-test', baseURL: fake.baseURL, maxRetries: 0 }),
        model: 'text-embedding-3-small',
      });
      const semantic = createMemoryStore({ pool, embedder });
      const scope = { tenant: uniqueId('t') };
      const near = await semantic.remember({ scope, content: 'invoices overdue customers reminder emails' });
      await semantic.remember({ scope, content: 'kubernetes cluster autoscaling' });
      const { rows } = await pool.query(
        'SELECT array_length(embedding, 1) AS dims FROM memory_items WHERE id = $1',
        [near.id],
      );
      expect(rows[0].dims).toBe(64);

      const hits = await semantic.recall({ scope, query: 'reminder emails overdue invoices customers' });
      expect(hits[0]!.id).toBe(near.id);
      expect(hits[0]!.similarity).toBeCloseTo(1, 5);
      expect(hits[0]!.score).toBeGreaterThan(hits[0]!.textRank);
      expect(fake.requests.filter((r) => r.path === '/v1/embeddings').length).toBe(3);
    });
  });
});
