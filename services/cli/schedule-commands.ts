import { Client, Connection } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import type { Command } from 'commander';
import { loadConfig } from '../config';
import { cliConnectionOptions } from '../platform/temporal-auth';
import { createDataConverter } from '../payloads';
import { createPool } from '../postgres';
import { formatSyncReport, syncCapsuleSchedules, type SyncReport } from '../schedules';

/**
 * `somagent schedules sync`: makes the namespace's Temporal Schedules match the `schedule`
 * triggers of every published capsule's latest live version. Creates what is missing, updates
 * what changed (new version, changed trigger), deletes orphans (capsule deprecated, trigger
 * removed); schedules it did not create are never touched.
 */

const out = (text: string): void => void process.stdout.write(`${text}\n`);
const err = (text: string): void => void process.stderr.write(`${text}\n`);

/** How long `capsule publish` waits for Temporal before saying schedules were not synced. */
const PUBLISH_CONNECT_TIMEOUT: Duration = '3s';

export interface ScheduleSyncRun {
  dryRun?: boolean;
  /** Connection timeout to TEMPORAL_ADDRESS (Temporal duration; the SDK default is 10s). */
  connectTimeout?: Duration;
}

/** The Temporal server could not be reached; nothing was read or changed there. */
export class TemporalUnreachableError extends Error {
  override readonly name = 'TemporalUnreachableError';
}

/**
 * One sync against DATABASE_URL's registry and TEMPORAL_ADDRESS's namespace.
 * @throws {TemporalUnreachableError} when no server answers at TEMPORAL_ADDRESS
 */
export async function runScheduleSync({
  dryRun = false,
  connectTimeout,
}: ScheduleSyncRun = {}): Promise<SyncReport> {
  const config = loadConfig();
  const connectOptions = await cliConnectionOptions(config);
  let connection: Connection;
  try {
    connection = await Connection.connect({
      ...connectOptions,
      ...(connectTimeout !== undefined && { connectTimeout }),
    });
  } catch (e) {
    throw new TemporalUnreachableError(
      `no Temporal server reachable at TEMPORAL_ADDRESS=${config.TEMPORAL_ADDRESS} (${(e as Error).message})`,
      { cause: e },
    );
  }
  const pool = createPool({ url: config.DATABASE_URL, max: 2, applicationName: 'somagent-cli' });
  try {
    const client = new Client({
      connection,
      namespace: config.TEMPORAL_NAMESPACE,
      dataConverter: createDataConverter({ pool, thresholdBytes: config.PAYLOAD_CODEC_THRESHOLD_BYTES }),
    });
    return await syncCapsuleSchedules({ client, pool, taskQueue: config.TEMPORAL_TASK_QUEUE, dryRun });
  } finally {
    await connection.close();
    await pool.end();
  }
}

/** Prints a report; schedules left alone because of a foreign id set exit code 1. */
function printReport(report: SyncReport, json: boolean): void {
  out(json ? JSON.stringify(report, null, 2) : formatSyncReport(report));
  if (report.conflicts.length > 0) process.exitCode = 1;
}

/**
 * The sync `capsule publish` runs after publishing. With no Temporal server reachable it prints
 * one line saying so and how to sync later, and leaves the exit code alone: the publish stands.
 */
export async function syncSchedulesAfterPublish(): Promise<void> {
  let report: SyncReport;
  try {
    report = await runScheduleSync({ connectTimeout: PUBLISH_CONNECT_TIMEOUT });
  } catch (e) {
    if (!(e instanceof TemporalUnreachableError)) throw e;
    err(`schedules not synced: ${e.message}; run \`somagent schedules sync\` once it is up`);
    return;
  }
  printReport(report, false);
}

/** Registers the `schedules` group. */
export function registerScheduleCommands(program: Command): Command {
  const schedules = program
    .command('schedules')
    .description("Temporal Schedules from published capsules' schedule triggers");

  schedules
    .command('sync')
    .description(
      "create, update and delete Temporal Schedules to match the schedule triggers of every published capsule's latest version",
    )
    .option('--dry-run', 'print the plan only; change nothing')
    .option('--json', 'print the report as JSON')
    .action(async (options: { dryRun?: boolean; json?: boolean }) => {
      printReport(await runScheduleSync({ dryRun: options.dryRun === true }), options.json === true);
    });
  return schedules;
}
