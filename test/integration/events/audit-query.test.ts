import { randomUUID } from 'node:crypto';
import { AuditQueryError, auditHandler, queryAuditEvents } from '../../../services/consumers';
import { createEvent, TOPICS } from '../../../services/events';
import { withTransaction } from '../../../services/postgres';
import { testPool } from '../../support/pg';

const pool = testPool();
afterAll(() => pool.end());

const tenant = `tenant-${randomUUID()}`;
const runA = `run-${randomUUID()}`;
const runB = `run-${randomUUID()}`;
const at = (minute: number, micros = 0) =>
  `2026-03-01T10:${String(minute).padStart(2, '0')}:00.${String(micros).padStart(6, '0')}Z`;

beforeAll(async () => {
  const events = [
    { subject: runA, minute: 1, decision: 'allow' },
    { subject: runA, minute: 2, decision: 'deny' },
    { subject: runA, minute: 3, decision: 'review' },
    { subject: runB, minute: 4, decision: 'deny' },
    { subject: runB, minute: 5, decision: 'allow' },
  ].map(({ subject, minute, decision }) =>
    createEvent({
      type: 'gate.decision',
      source: 'test/audit-query',
      tenant,
      subject,
      time: at(minute, 123_456),
      data: { decision, score: minute / 10 },
    }),
  );
  events.push(
    createEvent({
      type: 'run.started',
      source: 'test/audit-query',
      tenant,
      subject: runA,
      time: at(0),
      data: {},
    }),
  );
  // Two events in the same microsecond: the cursor must page through both.
  for (let i = 0; i < 2; i += 1) {
    events.push(
      createEvent({
        type: 'gate.decision',
        source: 'test/audit-query',
        tenant,
        subject: runB,
        time: at(6, 1),
        data: { decision: 'allow', i },
      }),
    );
  }
  await withTransaction(pool, async (client) => {
    for (const [i, event] of events.entries()) {
      await auditHandler.handle(client, event, {
        groupId: 'test',
        topic: TOPICS.audit,
        partition: 0,
        offset: String(i),
        key: null,
      });
    }
  });
});

it('filters by run, tenant, decision and time range, oldest first', async () => {
  const byRun = await queryAuditEvents(pool, { subject: runA });
  expect(byRun.events.map((e) => [e.type, e.decision])).toEqual([
    ['run.started', null],
    ['gate.decision', 'allow'],
    ['gate.decision', 'deny'],
    ['gate.decision', 'review'],
  ]);
  expect(byRun.nextCursor).toBeUndefined();
  expect(byRun.events[1]!.time).toBe(at(1, 123_456));

  const denies = await queryAuditEvents(pool, { tenant, decision: 'deny' });
  expect(denies.events.map((e) => e.subject)).toEqual([runA, runB]);

  const window = await queryAuditEvents(pool, { tenant, from: at(2), to: at(5) });
  expect(window.events.map((e) => e.data.score)).toEqual([0.2, 0.3, 0.4]);

  expect((await queryAuditEvents(pool, { tenant: `other-${randomUUID()}` })).events).toEqual([]);
});

it('pages with a cursor without repeating or skipping rows', async () => {
  const all = await queryAuditEvents(pool, { tenant, limit: 1000 });
  expect(all.events).toHaveLength(8);
  const paged: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await queryAuditEvents(pool, { tenant, limit: 3, cursor });
    expect(page.events.length).toBeLessThanOrEqual(3);
    paged.push(...page.events.map((e) => e.id));
    cursor = page.nextCursor;
  } while (cursor);
  expect(paged).toEqual(all.events.map((e) => e.id));
});

it('rejects a bad query naming each field', async () => {
  const error = await queryAuditEvents(pool, {
    decision: 'maybe' as never,
    limit: 0,
    from: 'not a date',
    cursor: 'garbage',
  }).catch((err: unknown) => err);
  expect(error).toBeInstanceOf(AuditQueryError);
  expect((error as AuditQueryError).problems.map((p) => p.path).sort()).toEqual([
    'cursor',
    'decision',
    'from',
    'limit',
  ]);
  expect((error as Error).message).toMatch(/decision: expected allow, review or deny/);
});
