import { armActivity } from './activities';
import { handleRunClosed } from './children';
import { dispatchWorkflowTask, queueKey, type EngineContext, type EngineOptions } from './context';
import type { Logger } from '../logger';
import { NamespaceRegistry } from './namespaces';
import { closeRunWithChain } from './retry-cron';
import { DeadlineScheduler } from './scheduler';
import { handleScheduledRunClosed, resumeSchedules } from './schedule-runner';
import { makeRun, RUNNING, workflowKey, type Run } from './state';
import type { DevServerStore } from './store';
import { TaskQueues } from './task-queues';
import { armTimer } from './timers';
import { armWorkflowTaskTimeout } from './workflow-tasks';
import { armRunTimeout } from './workflows';

/** Engine defaults: task polls answer empty before sdk-core's 70 s long-poll deadline. */
export const DEFAULT_ENGINE_OPTIONS: EngineOptions = {
  longPollMs: 55_000,
  stickyEnabled: true,
  queryTimeoutMs: 30_000,
};

/**
 * Builds the engine over a store: loads persisted namespaces and runs, registers `default` (and
 * `extraNamespace`), and re-arms everything in flight — scheduled workflow tasks and activities
 * go back on their queues, started ones get their timeouts, timers their deadlines.
 */
export async function createEngine({
  store,
  logger,
  options,
  extraNamespace,
}: {
  store: DevServerStore;
  logger: Logger;
  options: EngineOptions;
  extraNamespace?: string;
}): Promise<EngineContext> {
  const runs = new Map<string, Run>();
  const ctx: EngineContext = {
    logger,
    store,
    options,
    namespaces: new NamespaceRegistry(),
    runs,
    current: new Map(),
    workflowQueues: new TaskQueues((task) => {
      const run = runs.get(task.run);
      if (!run || (run.state.status !== RUNNING && task.kind === 'wft')) return false;
      if (task.kind === 'wft') {
        const wft = run.state.workflowTask;
        return (
          wft?.state === 'scheduled' &&
          wft.scheduledEventId === task.scheduledEventId &&
          wft.queue === task.queue
        );
      }
      const query = run.queries.get(task.queryId);
      return query?.legacy === true && query.deliveredIn === 0 && query.queue === task.queue;
    }),
    activityQueues: new TaskQueues((task) => {
      const run = runs.get(task.run);
      const activity =
        run?.state.status === RUNNING ? run.state.activities[task.scheduledEventId] : undefined;
      return activity?.state === 'scheduled' && activity.attempt === task.attempt;
    }),
    scheduler: new DeadlineScheduler((err) => logger.error({ err }, 'devserver: deadline handler failed')),
    stickyRuns: new Map(),
    dirtyRuns: new Set(),
    dirtyNamespaces: [],
    notifyRuns: new Set(),
    lastCommit: Promise.resolve(),
    schedules: new Map(),
    dirtySchedules: new Map(),
  };
  ctx.onRunClosed = (run) => {
    handleRunClosed(ctx, run);
    handleScheduledRunClosed(ctx, run);
  };
  ctx.onRunTimedOut = (run) => closeRunWithChain(ctx, run, { kind: 'timedOut' });

  const snapshot = await store.load();
  for (const record of snapshot.namespaces) ctx.namespaces.put(record);
  for (const name of ['default', extraNamespace]) {
    if (name && !ctx.namespaces.has(name)) {
      const record = NamespaceRegistry.create(name);
      ctx.namespaces.put(record);
      ctx.dirtyNamespaces.push(record);
    }
  }
  const loaded = snapshot.runs
    .map(({ state, events }) => makeRun(state, events))
    .sort((a, b) => a.state.startTimeMs - b.state.startTimeMs || currentRank(a) - currentRank(b));
  for (const run of loaded) {
    runs.set(run.key, run);
    ctx.current.set(workflowKey(run.state.namespace, run.state.workflowId), run);
  }
  let resumed = 0;
  for (const run of loaded) {
    if (run.state.status !== RUNNING) continue;
    resumed += 1;
    resumeRun(ctx, run);
  }
  resumeSchedules(ctx, snapshot.schedules ?? []);
  if (loaded.length > 0) logger.info({ runs: loaded.length, open: resumed }, 'devserver: state loaded');
  return ctx;
}

/**
 * Tie-break for runs of one workflow id started in the same millisecond (continue-as-new, or a
 * start that terminated the previous run): the later one wins the current pointer, and it is the
 * open one, never the run that continued as new.
 */
function currentRank(run: Run): number {
  if (run.state.status === RUNNING) return 2;
  return run.state.status === 'WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW' ? 0 : 1;
}

function resumeRun(ctx: EngineContext, run: Run): void {
  const state = run.state;
  if (state.stickyQueue) {
    const key = queueKey(state.namespace, state.stickyQueue);
    let bound = ctx.stickyRuns.get(key);
    if (!bound) {
      bound = new Set();
      ctx.stickyRuns.set(key, bound);
    }
    bound.add(run.key);
  }
  if (state.workflowTask?.state === 'scheduled') dispatchWorkflowTask(ctx, run);
  else if (state.workflowTask?.state === 'started') armWorkflowTaskTimeout(ctx, run);
  for (const activity of Object.values(state.activities)) armActivity(ctx, run, activity);
  for (const timer of Object.values(state.timers)) armTimer(ctx, run, timer);
  armRunTimeout(ctx, run);
}

/** Stops every deadline and ends parked polls with empty answers. */
export function stopEngine(ctx: EngineContext): void {
  ctx.scheduler.stop();
  for (const poller of ctx.workflowQueues.allPollers()) poller.release();
  for (const poller of ctx.activityQueues.allPollers()) poller.release();
  for (const run of ctx.runs.values()) {
    for (const wake of [...run.historyWaiters]) wake();
    for (const query of run.queries.values()) {
      query.resolve({ kind: 'failed', message: 'devserver is shutting down', failure: null });
    }
    run.queries.clear();
  }
}
