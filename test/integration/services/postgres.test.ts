import { Client } from 'pg';
import { randomUUID } from 'node:crypto';
import { createPool, migrate, withTransaction } from '../../../services/postgres';
import { appendToOutbox, EnvelopeValidationError } from '../../../services/events';
import { createTestDatabase } from '../../support/postgres';
import { testPool } from '../../support/pg';

describe('migrations', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    db = await createTestDatabase('migrate');
  });
  afterAll(async () => {
    await db.drop();
  });

  it('go up from an empty database, and a re-run changes nothing', async () => {
    const first = await migrate({ url: db.url });
    expect(first).toContain('1763700000000_foundation');

    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      const tables = await client.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'somagent' ORDER BY 1",
      );
      expect(tables.rows.map((r) => r.table_name)).toEqual(
        expect.arrayContaining(['audit_events', 'outbox', 'pgmigrations']),
      );
      const before = await client.query('SELECT name, run_on FROM somagent.pgmigrations ORDER BY id');

      expect(await migrate({ url: db.url })).toEqual([]);
      const after = await client.query('SELECT name, run_on FROM somagent.pgmigrations ORDER BY id');
      expect(after.rows).toEqual(before.rows);
    } finally {
      await client.end();
    }
  });

  it('tolerate concurrent runs (advisory lock)', async () => {
    const fresh = await createTestDatabase('migrate_race');
    try {
      const results = await Promise.all([migrate({ url: fresh.url }), migrate({ url: fresh.url })]);
      const ranTotal = results.flat().filter((n) => n === '1763700000000_foundation');
      expect(ranTotal).toHaveLength(1);
    } finally {
      await fresh.drop();
    }
  });
});

describe('appendToOutbox', () => {
  const pool = testPool();
  afterAll(() => pool.end());

  const event = (subject: string) => ({
    type: 'gate.decision',
    source: 'test',
    tenant: 'acme',
    subject,
    data: { decision: 'allow', score: 0.9 },
  });

  async function rowsFor(subject: string) {
    const { rows } = await pool.query(
      'SELECT topic, key, envelope, published_at, attempts FROM outbox WHERE key = $1',
      [subject],
    );
    return rows;
  }

  it('writes the row when the transaction commits', async () => {
    const subject = `run-${randomUUID()}`;
    const stored = await withTransaction(pool, (client) => appendToOutbox(client, event(subject)));
    const rows = await rowsFor(subject);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      topic: 'somagent.audit.v1',
      key: subject,
      published_at: null,
      attempts: 0,
    });
    expect(rows[0].envelope).toEqual(stored);
  });

  it('leaves no row when the transaction rolls back', async () => {
    const subject = `run-${randomUUID()}`;
    await expect(
      withTransaction(pool, async (client) => {
        await appendToOutbox(client, event(subject));
        throw new Error('business change failed');
      }),
    ).rejects.toThrow('business change failed');
    expect(await rowsFor(subject)).toHaveLength(0);
  });

  it('rejects a bad event before writing anything', async () => {
    const subject = `run-${randomUUID()}`;
    await expect(
      withTransaction(pool, (client) => appendToOutbox(client, { ...event(subject), type: 'Bad Type' })),
    ).rejects.toBeInstanceOf(EnvelopeValidationError);
    expect(await rowsFor(subject)).toHaveLength(0);
  });

  it('honours an explicit topic and key', async () => {
    const subject = `run-${randomUUID()}`;
    await withTransaction(pool, (client) =>
      appendToOutbox(client, event(subject), { topic: 'somagent.training.v1', key: subject }),
    );
    expect((await rowsFor(subject))[0].topic).toBe('somagent.training.v1');
  });

  it('sets search_path so queries need no schema prefix', async () => {
    const p = createPool({ url: process.env.DATABASE_URL! });
    try {
      const { rows } = await p.query('SHOW search_path');
      expect(rows[0].search_path).toMatch(/^somagent/);
    } finally {
      await p.end();
    }
  });
});
