import type { Pool } from 'pg';
import { z } from 'zod';

/** Thrown for a bad audit query; `problems` name each bad field. */
export class AuditQueryError extends Error {
  override readonly name = 'AuditQueryError';

  constructor(readonly problems: readonly { path: string; message: string }[]) {
    super(`Invalid audit query: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  }
}

const cursorSchema = z.object({ time: z.iso.datetime(), id: z.uuid() });

const querySchema = z.strictObject({
  /** The run (workflow id) the events are about. */
  subject: z.string().min(1, { message: 'expected a run id' }).optional(),
  tenant: z.string().min(1, { message: 'expected a tenant id' }).optional(),
  decision: z.enum(['allow', 'review', 'deny'], { message: 'expected allow, review or deny' }).optional(),
  type: z.string().min(1, { message: 'expected an event type such as "gate.decision"' }).optional(),
  /** Inclusive lower bound of the event time. */
  from: z.coerce.date({ message: 'expected an ISO-8601 timestamp' }).optional(),
  /** Exclusive upper bound of the event time. */
  to: z.coerce.date({ message: 'expected an ISO-8601 timestamp' }).optional(),
  /** @default 100 */
  limit: z.coerce
    .number({ message: 'expected a number' })
    .int({ message: 'expected a whole number' })
    .min(1, { message: 'expected 1 to 1000' })
    .max(1000, { message: 'expected 1 to 1000' })
    .default(100),
  /** `nextCursor` of the previous page. */
  cursor: z
    .string()
    .transform((value, ctx) => {
      try {
        return cursorSchema.parse(JSON.parse(Buffer.from(value, 'base64url').toString('utf8')));
      } catch {
        ctx.addIssue({ code: 'custom', message: 'expected the nextCursor of a previous page' });
        return z.NEVER;
      }
    })
    .optional(),
});

export type AuditQuery = z.input<typeof querySchema>;

export interface AuditRecord {
  id: string;
  type: string;
  source: string;
  tenant: string;
  subject: string;
  /** ISO-8601, UTC, microsecond precision as stored. */
  time: string;
  decision: string | null;
  data: Record<string, unknown>;
  recordedAt: Date;
}

export interface AuditPage {
  events: AuditRecord[];
  /** Pass as `cursor` to get the next page; absent on the last page. */
  nextCursor?: string;
}

/**
 * Reads the audit store: filter by run (subject), tenant, decision, type and time range, oldest
 * first, in pages. Pages use a keyset cursor on (time, id), so rows arriving meanwhile neither
 * shift nor repeat earlier pages.
 *
 * @throws {AuditQueryError} naming each bad field.
 */
export async function queryAuditEvents(pool: Pool, query: AuditQuery = {}): Promise<AuditPage> {
  const parsed = querySchema.safeParse(query);
  if (!parsed.success) {
    throw new AuditQueryError(
      parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(query)', message: i.message })),
    );
  }
  const { subject, tenant, decision, type, from, to, limit, cursor } = parsed.data;
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: (p: string) => string, value: unknown) => {
    params.push(value);
    where.push(sql(`$${params.length}`));
  };
  if (subject !== undefined) add((p) => `subject = ${p}`, subject);
  if (tenant !== undefined) add((p) => `tenant = ${p}`, tenant);
  if (decision !== undefined) add((p) => `decision = ${p}`, decision);
  if (type !== undefined) add((p) => `type = ${p}`, type);
  if (from !== undefined) add((p) => `time >= ${p}`, from);
  if (to !== undefined) add((p) => `time < ${p}`, to);
  if (cursor !== undefined) {
    params.push(cursor.time, cursor.id);
    where.push(`(time, id) > ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
  }
  params.push(limit + 1);
  const { rows } = await pool.query<AuditRecord>(
    `SELECT id, type, source, tenant, subject,
            to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS time,
            decision, data, recorded_at AS "recordedAt"
       FROM audit_events
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY time, id
      LIMIT $${params.length}`,
    params,
  );
  if (rows.length <= limit) return { events: rows };
  const events = rows.slice(0, limit);
  const last = events[events.length - 1]!;
  return {
    events,
    nextCursor: Buffer.from(JSON.stringify({ time: last.time, id: last.id })).toString('base64url'),
  };
}
