import type { Pool } from 'pg';
import {
  actionDescriptorSchema,
  type CompiledConstitution,
  compareEvaluations,
  type FeatureShift,
  type GateDecision,
  evaluate,
} from '../../constitution';
import { z } from 'zod';

/** A recorded decision that would come out differently under the candidate. */
export interface WhatIfFlip {
  eventId: string;
  time: string;
  tenant: string;
  subject: string;
  from: GateDecision;
  to: GateDecision;
  scoreBefore: number | null;
  scoreAfter: number;
  recordedConstitutionHash: string | null;
  featureShifts: FeatureShift[];
  rulesAdded: string[];
  rulesRemoved: string[];
}

/** Result of replaying past gate decisions under a candidate constitution. */
export interface WhatIfReport {
  candidate: { version: number; label: string; hash: string };
  window: { since: string; until: string; tenant: string | null };
  /** Decisions re-evaluated. */
  examined: number;
  /** Rows that could not be replayed (no or invalid descriptor), by reason. */
  skipped: Record<string, number>;
  /** The first few skipped rows with the field that made them unusable. */
  skippedExamples: { eventId: string; reason: string }[];
  unchanged: number;
  flipped: number;
  /** Count per transition, e.g. `allow->deny`. */
  transitions: Record<string, number>;
  /** For flipped decisions: how often each feature's contribution moved toward the new result. */
  byFeature: Record<string, number>;
  /** For flipped decisions: how often each rule newly fired (`+id`) or stopped firing (`-id`). */
  byRule: Record<string, number>;
  /** The flips, oldest first, at most `maxFlips` of them. */
  flips: WhatIfFlip[];
  /** True when more than `maxFlips` decisions flipped (counts above are still complete). */
  truncated: boolean;
  /** True when the window held more than `limit` decisions and the rest were not examined. */
  limitReached: boolean;
}

export interface WhatIfOptions {
  pool: Pool;
  candidate: CompiledConstitution;
  since: Date;
  /** @default now */
  until?: Date;
  /** Only this tenant's decisions. */
  tenant?: string;
  /** Most decisions examined. @default 100_000 */
  limit?: number;
  /** Most flips listed in the report. @default 1000 */
  maxFlips?: number;
  /** Rows fetched per query (keyset pagination keeps memory flat). @default 1000 */
  batchSize?: number;
}

/** Skipped rows listed by id in a report (the count covers all of them). */
const MAX_SKIPPED_EXAMPLES = 10;

/** The parts of a stored `gate.decision` payload that what-if needs. */
const recordedSchema = z.object({
  decision: z.enum(['allow', 'review', 'deny']),
  score: z.number().optional(),
  contributions: z.array(z.object({ feature: z.string(), product: z.number() })).optional(),
  // Producers may record fired rules as objects or as bare ids; what-if only needs the ids.
  rulesFired: z
    .array(z.union([z.string().transform((id) => ({ id })), z.object({ id: z.string() })]))
    .optional(),
  constitutionHash: z.string().optional(),
  descriptor: z.unknown(),
});

interface AuditRow {
  id: string;
  time: Date;
  tenant: string;
  subject: string;
  data: unknown;
  /** `time` as Postgres text: exact to the microsecond, unlike a JS Date, so the cursor is exact. */
  cursor_time: string;
}

/**
 * Re-evaluates the action descriptors stored with past `gate.decision` audit events under a
 * candidate constitution and reports every decision that would flip, with per-transition,
 * per-feature and per-rule counts. Read-only.
 */
export async function runWhatIf({
  pool,
  candidate,
  since,
  until = new Date(),
  tenant,
  limit = 100_000,
  maxFlips = 1000,
  batchSize = 1000,
}: WhatIfOptions): Promise<WhatIfReport> {
  const report: WhatIfReport = {
    candidate: { version: candidate.version, label: candidate.label, hash: candidate.hash },
    window: { since: since.toISOString(), until: until.toISOString(), tenant: tenant ?? null },
    examined: 0,
    skipped: {},
    skippedExamples: [],
    unchanged: 0,
    flipped: 0,
    transitions: {},
    byFeature: {},
    byRule: {},
    flips: [],
    truncated: false,
    limitReached: false,
  };
  const bump = (counts: Record<string, number>, key: string) => {
    counts[key] = (counts[key] ?? 0) + 1;
  };

  const skip = (
    eventId: string,
    kind: string,
    issue?: { path: PropertyKey[]; message: string },
    prefix?: string,
  ) => {
    bump(report.skipped, kind);
    if (report.skippedExamples.length < MAX_SKIPPED_EXAMPLES) {
      const where = [prefix, ...(issue?.path ?? []).map(String)].filter(Boolean).join('.');
      report.skippedExamples.push({
        eventId,
        reason: `${kind}: ${where || '(data)'}: ${issue?.message ?? 'unusable'}`,
      });
    }
  };

  let cursor: { time: string; id: string } | null = null;
  let seen = 0;
  for (;;) {
    const take = Math.min(batchSize, limit - seen + 1);
    if (take <= 0) break;
    const result = await pool.query<AuditRow>(
      `SELECT id, time, time::text AS cursor_time, tenant, subject, data FROM audit_events
        WHERE type = 'gate.decision' AND time >= $1 AND time < $2
          AND ($3::text IS NULL OR tenant = $3)
          AND ($4::timestamptz IS NULL OR (time, id) > ($4, $5::uuid))
        ORDER BY time, id LIMIT $6`,
      [since, until, tenant ?? null, cursor?.time ?? null, cursor?.id ?? null, take],
    );
    const rows: AuditRow[] = result.rows;
    for (const row of rows) {
      seen += 1;
      if (seen > limit) {
        report.limitReached = true;
        break;
      }
      const recorded = recordedSchema.safeParse(row.data);
      if (!recorded.success) {
        skip(row.id, 'invalid decision payload', recorded.error.issues[0]);
        continue;
      }
      const descriptor = actionDescriptorSchema.safeParse(recorded.data.descriptor);
      if (!descriptor.success) {
        skip(row.id, 'invalid descriptor', descriptor.error.issues[0], 'descriptor');
        continue;
      }
      report.examined += 1;
      const flip = compareEvaluations(recorded.data, evaluate(candidate, descriptor.data));
      if (!flip) {
        report.unchanged += 1;
        continue;
      }
      report.flipped += 1;
      bump(report.transitions, `${flip.from}->${flip.to}`);
      for (const shift of flip.featureShifts) bump(report.byFeature, shift.feature);
      for (const id of flip.rulesAdded) bump(report.byRule, `+${id}`);
      for (const id of flip.rulesRemoved) bump(report.byRule, `-${id}`);
      if (report.flips.length < maxFlips) {
        report.flips.push({
          eventId: row.id,
          time: row.time.toISOString(),
          tenant: row.tenant,
          subject: row.subject,
          recordedConstitutionHash: recorded.data.constitutionHash ?? null,
          ...flip,
        });
      } else {
        report.truncated = true;
      }
    }
    if (report.limitReached || rows.length < take) break;
    const last: AuditRow = rows[rows.length - 1]!;
    cursor = { time: last.cursor_time, id: last.id };
  }
  return report;
}
