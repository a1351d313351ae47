import { DefaultLogger, type LogLevel, type LogMetadata } from '@temporalio/worker';

/**
 * The Temporal SDK's logger for `npm start`: as the SDK's own, except that a failed workflow is
 * one line (workflow, type, the failure's message) instead of the failure's stack, because a
 * failed capsule run is an outcome the user reads about, not a crash of the platform.
 */
export function createStartSdkLogger(level: LogLevel): DefaultLogger {
  const inner = new DefaultLogger(level);
  return new DefaultLogger(level, ({ level: entryLevel, message, meta }) => {
    if (message === 'Workflow failed' && meta?.error instanceof Error) {
      const { workflowId, workflowType } = meta as LogMetadata & {
        workflowId?: string;
        workflowType?: string;
      };
      process.stderr.write(
        `[${entryLevel}] workflow ${String(workflowId)} (${String(workflowType)}) failed: ${meta.error.message}\n`,
      );
      return;
    }
    inner.log(entryLevel, message, meta);
  });
}
