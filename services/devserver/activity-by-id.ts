import { cancelActivityAck, completeActivity, failActivity, heartbeatActivity } from './activities';
import { transact, type EngineContext } from './context';
import { InvalidArgumentError, NotFoundError } from './errors';
import type { Msg } from './proto';
import type { Handler } from './service';
import { RUNNING, type ActivityState, type Run } from './state';
import { findRun } from './workflows';

function requireField(req: Msg, field: string): string {
  const value = req[field];
  if (typeof value !== 'string' || value === '') {
    throw new InvalidArgumentError(`${field} is required to address an activity by id`);
  }
  return value;
}

/**
 * The started activity `activityId` of a run (the current run when `runId` is empty), or
 * NOT_FOUND — as the real server, also when the activity exists but no attempt is running: an
 * attempt that is scheduled or backing off has nobody to complete it.
 */
function resolveActivityById(ctx: EngineContext, req: Msg): { run: Run; activity: ActivityState } {
  const namespace = ctx.namespaces.require(req.namespace).name;
  const workflowId = requireField(req, 'workflowId');
  const activityId = requireField(req, 'activityId');
  const runId = typeof req.runId === 'string' ? req.runId : '';
  const run = findRun(ctx, namespace, { workflowId, runId });
  if (run.state.status !== RUNNING) throw new NotFoundError('workflow execution already completed');
  const activity = Object.values(run.state.activities).find((a) => a.activityId === activityId);
  if (!activity) {
    throw new NotFoundError(`activity not found: workflowId=${workflowId} activityId=${activityId}`);
  }
  if (activity.state !== 'started') {
    throw new NotFoundError(`activity ${activityId} has no running attempt to complete`);
  }
  return { run, activity };
}

function identityOf(req: Msg): string {
  return (req.identity as string | undefined) ?? '';
}

/**
 * Async activity completion by workflow id + activity id (DEVSERVER.md §4.3): the same transitions
 * as the task-token RPCs, for callers that only know which activity they finish
 * (`client.activity.complete({ workflowId, runId?, activityId }, result)`).
 */
export function createActivityByIdHandlers(ctx: EngineContext): Record<string, Handler> {
  return {
    RespondActivityTaskCompletedById: (req) =>
      transact(ctx, () => {
        const { run, activity } = resolveActivityById(ctx, req);
        completeActivity(ctx, run, activity, req.result, identityOf(req));
        return {};
      }),

    RespondActivityTaskFailedById: (req) =>
      transact(ctx, () => {
        const { run, activity } = resolveActivityById(ctx, req);
        const failure = (req.failure as Msg | undefined) ?? { message: 'activity failed without a failure' };
        const heartbeat = (req.lastHeartbeatDetails as Msg | undefined) ?? null;
        failActivity(ctx, run, activity, failure, heartbeat, identityOf(req));
        return { failures: [] };
      }),

    RespondActivityTaskCanceledById: (req) =>
      transact(ctx, () => {
        const { run, activity } = resolveActivityById(ctx, req);
        cancelActivityAck(ctx, run, activity, req.details, identityOf(req));
        return {};
      }),

    RecordActivityTaskHeartbeatById: (req) =>
      transact(ctx, () => {
        const { run, activity } = resolveActivityById(ctx, req);
        const details = (req.details as Msg | undefined) ?? null;
        const cancelRequested = heartbeatActivity(ctx, run, activity, details);
        return { cancelRequested, activityPaused: false, activityReset: false };
      }),
  };
}
