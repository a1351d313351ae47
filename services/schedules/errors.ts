/**
 * Why a schedules sync could not plan or apply. `field` names what is at fault, e.g.
 * `analytics.weekly-report@1.0.1 triggers[1].cron`, or a schedule id.
 */
export class ScheduleSyncError extends Error {
  override readonly name = 'ScheduleSyncError';

  constructor(
    readonly field: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${field}: ${message}`, options);
  }
}
