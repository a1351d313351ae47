import { randomUUID } from 'node:crypto';
import { runSomagent } from '../../support/cli';
import { parseDuration } from '../../../services/cli/events-commands';
import { appendToOutbox } from '../../../services/events';
import { withTransaction } from '../../../services/postgres';
import { createKafkaTestDatabase } from '../../support/kafka-database';

let db: Awaited<ReturnType<typeof createKafkaTestDatabase>>;
const runDatabase = process.env.DATABASE_URL;

beforeAll(async () => {
  db = await createKafkaTestDatabase('cli');
  process.env.DATABASE_URL = db.url;
});
afterAll(async () => {
  process.env.DATABASE_URL = runDatabase;
  await db.drop();
});

/** Runs `somagent ...args` in-process and returns what it printed as JSON. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- printed JSON, asserted field by field
async function somagent(...args: string[]): Promise<Record<string, any>> {
  return JSON.parse(await runSomagent(...args));
}

const decision = (subject: string, value: string) => ({
  type: 'gate.decision',
  source: 'test/cli',
  tenant: 'acme',
  subject,
  data: { decision: value },
});

it('outbox status and prune report and clean the outbox', async () => {
  const subject = `run-${randomUUID()}`;
  const [old, fresh, pending] = await withTransaction(db.pool, async (c) => [
    await appendToOutbox(c, decision(subject, 'allow')),
    await appendToOutbox(c, decision(subject, 'deny')),
    await appendToOutbox(c, decision(subject, 'review')),
  ]);
  await db.pool.query(`UPDATE outbox SET published_at = now() - interval '10 days' WHERE id = $1`, [old.id]);
  await db.pool.query(`UPDATE outbox SET published_at = now() WHERE id = $1`, [fresh.id]);
  await db.pool.query(
    `UPDATE outbox SET attempts = 3, last_error = 'KafkaJSConnectionError: down' WHERE id = $1`,
    [pending.id],
  );

  expect(await somagent('outbox', 'status')).toMatchObject({
    pending: 1,
    retrying: 1,
    maxAttempts: 3,
    published: 2,
    rejected: 0,
    lastErrors: [{ error: 'KafkaJSConnectionError: down', rows: 1 }],
  });
  expect(await somagent('outbox', 'prune', '--older-than', '7d')).toMatchObject({ outboxRows: 1 });
  const { rows } = await db.pool.query('SELECT id FROM outbox ORDER BY seq');
  expect(rows.map((r) => r.id)).toEqual([fresh.id, pending.id]);
});

it('audit query prints a page of the audit store', async () => {
  const subject = `run-${randomUUID()}`;
  for (const [i, value] of ['allow', 'deny', 'deny'].entries()) {
    await db.pool.query(
      `INSERT INTO audit_events (id, type, source, tenant, subject, time, decision, data)
       VALUES ($1, 'gate.decision', 'test/cli', 'acme', $2, now() + $3 * interval '1 second', $4, '{}')`,
      [randomUUID(), subject, i, value],
    );
  }
  const page = await somagent('audit', 'query', '--run', subject, '--decision', 'deny', '--limit', '1');
  expect(page.events).toHaveLength(1);
  expect(page.events[0]).toMatchObject({ subject, decision: 'deny' });
  const next = await somagent(
    'audit',
    'query',
    '--run',
    subject,
    '--decision',
    'deny',
    '--cursor',
    page.nextCursor,
  );
  expect(next.events).toHaveLength(1);
  expect(next.nextCursor).toBeUndefined();
  await expect(somagent('audit', 'query', '--decision', 'maybe')).rejects.toThrow(
    /decision: expected allow, review or deny/,
  );
});

it('parses durations and names the accepted forms', () => {
  expect(parseDuration('30m')).toBe(1_800_000);
  expect(parseDuration('7d')).toBe(604_800_000);
  expect(() => parseDuration('7 days')).toThrow(/30m, 12h or 7d/);
});
