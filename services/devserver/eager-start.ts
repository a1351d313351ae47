import { randomUUID } from 'node:crypto';
import type { EngineContext } from './context';
import type { Msg } from './proto';
import type { Run } from './state';
import { startWorkflowTask } from './workflow-tasks';

/**
 * Eager workflow start: a StartWorkflowExecution with `requestEagerExecution` gets the run's
 * first workflow task already started, in `eagerWorkflowTask` of the response, instead of
 * through a poll.
 *
 * Like the real server, the devserver trusts the flag: the SDK sets it only after reserving a
 * workflow-task slot on a worker of that task queue that shares the client's connection
 * (sdk-core's client clears the flag when it has none), and hands the task to that worker.
 * Only a run this request started qualifies (not an existing one it attached to), and only while
 * its first task is due now and not taken yet — a start delay falls back to the normal queue, as
 * on the real server. The queue entry the task got when it was scheduled goes stale and is skipped.
 */
export function eagerWorkflowTask(ctx: EngineContext, run: Run, started: boolean, req: Msg): Msg {
  if (req.requestEagerExecution !== true || !started) return {};
  const wft = run.state.workflowTask;
  const firstTaskDueNow =
    wft?.state === 'scheduled' &&
    wft.attempt === 1 &&
    wft.notBeforeMs <= Date.now() &&
    run.events.length === 2;
  if (!firstTaskDueNow) return {};
  const identity = (req.identity as string | undefined) ?? '';
  return { eagerWorkflowTask: startWorkflowTask(ctx, run, identity, randomUUID()) };
}
