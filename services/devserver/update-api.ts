import { transact, type EngineContext } from './context';
import { InvalidArgumentError, NotFoundError } from './errors';
import type { CallContext } from './history-api';
import type { Msg } from './proto';
import type { Run } from './state';
import { admitUpdate, STAGE, stageRank, validateUpdateRequest, viewUpdate, type UpdateView } from './updates';
import { findRun } from './workflows';

/**
 * The longest an update call is held before it answers with the stage reached so far (the real
 * server's long-poll expiration, 20 s); the SDK then asks again. A shorter engine long poll (tests)
 * shortens it too. A call deadline that comes first ends the call with DEADLINE_EXCEEDED.
 */
const MAX_UPDATE_WAIT_MS = 20_000;

/** An update call's answer: `updateRef`, `stage` (always set: the SDK loops on it) and outcome. */
export function updateResponse(run: Run, updateId: string, view: UpdateView): Msg {
  return {
    updateRef: {
      workflowExecution: { workflowId: run.state.workflowId, runId: run.state.runId },
      updateId,
    },
    stage: view.stage,
    ...(view.outcome ? { outcome: view.outcome } : {}),
  };
}

/**
 * Waits until the update reaches `wanted`, the wait limit passes or the call ends, then answers
 * with what is durable: the state is read, then the commit chain that covers it is awaited.
 * History waiters wake after every durable change that appends events to the run — which every
 * update transition (accepted, completed, rejected with its workflow task, run closed) does.
 */
export async function awaitUpdateStage(
  ctx: EngineContext,
  run: Run,
  updateId: string,
  wanted: number,
  call: CallContext,
): Promise<UpdateView> {
  const deadline = Date.now() + Math.min(ctx.options.longPollMs, MAX_UPDATE_WAIT_MS);
  for (;;) {
    const view = viewUpdate(run, updateId);
    if (!view) throw new NotFoundError(`update ${updateId} not found in workflow ${run.state.workflowId}`);
    await ctx.lastCommit;
    const remaining = deadline - Date.now();
    if (stageRank(view.stage) >= wanted || remaining <= 0 || call.signal.aborted) return view;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        run.historyWaiters.delete(done);
        call.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, remaining);
      timer.unref();
      run.historyWaiters.add(done);
      call.signal.addEventListener('abort', done);
    });
  }
}

/** The stage a request waits for: its wait policy, ACCEPTED when unset (what the SDK asks). */
export function wantedStage(waitPolicy: unknown, fallback: string = STAGE.accepted): number {
  const stage = (waitPolicy as { lifecycleStage?: string } | undefined)?.lifecycleStage;
  return stageRank(stage) || stageRank(fallback);
}

/** The run an update request addresses, checked against `firstExecutionRunId`. */
function targetRun(ctx: EngineContext, namespace: string, req: Msg): Run {
  const run = findRun(ctx, namespace, req.workflowExecution as Msg);
  const first = req.firstExecutionRunId as string | undefined;
  if (first && first !== run.state.firstExecutionRunId) {
    throw new NotFoundError(`workflow execution not found for firstExecutionRunId ${first}`);
  }
  return run;
}

/** UpdateWorkflowExecution and PollWorkflowExecutionUpdate handlers. */
export function createUpdateHandlers(
  ctx: EngineContext,
): Record<string, (req: Msg, call: CallContext) => Promise<Msg>> {
  const ns = (req: Msg): string => ctx.namespaces.require(req.namespace).name;
  return {
    UpdateWorkflowExecution: async (req, call) => {
      const namespace = ns(req);
      validateUpdateRequest(req);
      const request = req.request as Msg & { meta: { updateId: string } };
      const run = await transact(ctx, () => {
        const target = targetRun(ctx, namespace, req);
        admitUpdate(ctx, target, request);
        return target;
      });
      const updateId = request.meta.updateId;
      const view = await awaitUpdateStage(ctx, run, updateId, wantedStage(req.waitPolicy), call);
      return updateResponse(run, updateId, view);
    },

    PollWorkflowExecutionUpdate: async (req, call) => {
      const namespace = ns(req);
      const ref = req.updateRef as { workflowExecution?: Msg; updateId?: string } | undefined;
      if (!ref?.updateId) throw new InvalidArgumentError('updateRef.updateId is required');
      const run = findRun(ctx, namespace, ref.workflowExecution);
      // No wait policy = a non-blocking look at the current stage.
      const wanted = req.waitPolicy ? wantedStage(req.waitPolicy) : 0;
      const view = await awaitUpdateStage(ctx, run, ref.updateId, wanted, call);
      return updateResponse(run, ref.updateId, view);
    },
  };
}
