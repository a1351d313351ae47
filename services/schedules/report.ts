import type { DesiredSchedule, DesiredSpec } from './desired-schedules';
import type { SchedulePlan } from './plan';

/** What a sync did (or, with `dryRun`, would do): JSON for `--json`, lines for people. */

export interface SyncReportEntry {
  scheduleId: string;
  /** `id@version` the schedule runs (after the sync); for deletions, the one it ran. */
  capsule: string;
  /** For updates: the `id@version` it ran before. */
  previous?: string;
  /** `cron "0 9 * * MON" Europe/Berlin` or `every 15m`; absent for deletions. */
  spec?: string;
}

export interface SyncReport {
  dryRun: boolean;
  created: SyncReportEntry[];
  updated: SyncReportEntry[];
  deleted: SyncReportEntry[];
  unchanged: SyncReportEntry[];
  /** Desired ids taken by schedules sync does not manage: left alone. */
  conflicts: Array<SyncReportEntry & { reason: string }>;
}

function describeSpec(spec: DesiredSpec): string {
  return spec.kind === 'cron' ? `cron "${spec.cron}" ${spec.timezone}` : `every ${spec.every}`;
}

function entry(d: DesiredSchedule): SyncReportEntry {
  return {
    scheduleId: d.scheduleId,
    capsule: `${d.capsuleId}@${d.capsuleVersion}`,
    spec: describeSpec(d.spec),
  };
}

export function syncReport(plan: SchedulePlan, { dryRun }: { dryRun: boolean }): SyncReport {
  return {
    dryRun,
    created: plan.create.map(entry),
    updated: plan.update.map((u) => ({ ...entry(u.desired), previous: u.current.capsule })),
    deleted: plan.delete.map((d) => ({ scheduleId: d.scheduleId, capsule: d.current.capsule })),
    unchanged: plan.unchanged.map(entry),
    conflicts: plan.conflicts.map((c) => ({ ...entry(c.desired), reason: c.reason })),
  };
}

/** A summary line, then one line per change (`+` create, `~` update, `-` delete, `!` conflict). */
export function formatSyncReport(report: SyncReport): string {
  const verb = report.dryRun ? { c: 'to create', u: 'to update', d: 'to delete' } : undefined;
  const counts = [
    `${report.created.length} ${verb?.c ?? 'created'}`,
    `${report.updated.length} ${verb?.u ?? 'updated'}`,
    `${report.deleted.length} ${verb?.d ?? 'deleted'}`,
    `${report.unchanged.length} unchanged`,
    ...(report.conflicts.length > 0 ? [`${report.conflicts.length} left alone (not managed)`] : []),
  ];
  const lines = [`schedules${report.dryRun ? ' (dry run, nothing changed)' : ''}: ${counts.join(', ')}`];
  for (const e of report.created) lines.push(`  + ${e.scheduleId}  ${e.capsule}  ${e.spec}`);
  for (const e of report.updated) {
    lines.push(
      `  ~ ${e.scheduleId}  ${e.previous === e.capsule ? e.capsule : `${e.previous} → ${e.capsule}`}  ${e.spec}`,
    );
  }
  for (const e of report.deleted) lines.push(`  - ${e.scheduleId}  ${e.capsule}`);
  for (const e of report.conflicts) lines.push(`  ! ${e.scheduleId}  ${e.capsule}: ${e.reason}`);
  return lines.join('\n');
}
