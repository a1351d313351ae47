import { status } from '@grpc/grpc-js';
import { transact, type EngineContext } from './context';
import { DevServerError, InvalidArgumentError } from './errors';
import type { CallContext } from './history-api';
import { packAny, type Msg } from './proto';
import { RUNNING, workflowKey } from './state';
import { awaitUpdateStage, updateResponse, wantedStage } from './update-api';
import { admitUpdate, validateUpdateRequest, viewUpdate } from './updates';
import { startWorkflow, validateStartRequest, type StartRequest } from './workflows';

/**
 * ExecuteMultiOperation — update-with-start: `[startWorkflow, updateWorkflow]` applied in one
 * transaction (the new run's first workflow task carries the update), then the update call waits
 * as UpdateWorkflowExecution does. Errors come back the way the real server sends them: one
 * status per operation inside `MultiOperationExecutionFailure`, the operation that did not fail
 * marked aborted, the call's code being the failed operation's code.
 */

const ABORTED_STATUS = {
  code: status.ABORTED,
  message: 'Operation was aborted.',
  details: [packAny('temporal.api.failure.v1.MultiOperationExecutionAborted', {})],
};

/** Wraps the error of operation `index` into the multi-operation error format. */
function multiOperationError(err: unknown, index: number, count = 2): DevServerError {
  const failed =
    err instanceof DevServerError
      ? { code: err.code, message: err.message, details: err.details }
      : { code: status.INTERNAL, message: err instanceof Error ? err.message : String(err), details: [] };
  const statuses = Array.from({ length: count }, (_, i) => (i === index ? failed : ABORTED_STATUS));
  return new DevServerError(failed.code, 'MultiOperation could not be executed.', [
    packAny('temporal.api.errordetails.v1.MultiOperationExecutionFailure', { statuses }),
  ]);
}

/** Runs `fn`; an error it throws becomes the multi-operation error of operation `index`. */
function asOperation<T>(index: number, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw multiOperationError(err, index);
  }
}

function validateStartOperation(start: StartRequest): void {
  validateStartRequest(start);
  if (start.cronSchedule) throw new InvalidArgumentError('cronSchedule is not allowed in update-with-start');
  if (start.requestEagerExecution)
    throw new InvalidArgumentError('requestEagerExecution is not allowed in update-with-start');
  if (start.workflowStartDelay)
    throw new InvalidArgumentError('workflowStartDelay is not allowed in update-with-start');
}

function validateUpdateOperation(update: Msg, workflowId: string): void {
  validateUpdateRequest(update);
  const execution = update.workflowExecution as { workflowId?: string; runId?: string };
  if (execution.runId)
    throw new InvalidArgumentError(
      'workflowExecution.runId is not allowed in update-with-start: leave it empty',
    );
  if (update.firstExecutionRunId)
    throw new InvalidArgumentError('firstExecutionRunId is not allowed in update-with-start: leave it empty');
  if (execution.workflowId !== workflowId) {
    throw new InvalidArgumentError(
      `workflowExecution.workflowId ${execution.workflowId} must match the start operation's workflowId ${workflowId}`,
    );
  }
}

/** The ExecuteMultiOperation handler. */
export function createMultiOperationHandler(
  ctx: EngineContext,
): (req: Msg, call: CallContext) => Promise<Msg> {
  return async (req, call) => {
    const namespace = ctx.namespaces.require(req.namespace).name;
    const operations = (req.operations ?? []) as { startWorkflow?: StartRequest; updateWorkflow?: Msg }[];
    const start = operations[0]?.startWorkflow;
    const update = operations[1]?.updateWorkflow;
    if (operations.length !== 2 || !start || !update) {
      throw new InvalidArgumentError(
        'operations must be exactly [startWorkflow, updateWorkflow], in that order (update-with-start)',
      );
    }
    asOperation(0, () => validateStartOperation(start));
    asOperation(1, () => validateUpdateOperation(update, start.workflowId as string));
    const request = update.request as Msg & { meta: { updateId: string } };
    const updateId = request.meta.updateId;

    const { run, started } = await transact(ctx, () => {
      const existing = ctx.current.get(workflowKey(namespace, start.workflowId as string));
      // A finished run that already completed this update answers with it instead of starting again.
      if (existing && existing.state.status !== RUNNING && viewUpdateSafely(existing, updateId)) {
        return { run: existing, started: false };
      }
      const outcome = asOperation(0, () => startWorkflow(ctx, namespace, start));
      asOperation(1, () => admitUpdate(ctx, outcome.run, request));
      return outcome;
    });
    const view = await awaitUpdateStage(ctx, run, updateId, wantedStage(update.waitPolicy), call).catch(
      (err: unknown) => {
        throw multiOperationError(err, 1);
      },
    );
    return {
      responses: [
        {
          startWorkflow: {
            runId: run.state.runId,
            started,
            ...(run.state.status !== RUNNING ? { status: run.state.status } : {}),
          },
        },
        { updateWorkflow: updateResponse(run, updateId, view) },
      ],
    };
  };
}

/** Whether a closed run knows the update (viewUpdate throws NOT_FOUND for an unaccepted one). */
function viewUpdateSafely(run: Parameters<typeof viewUpdate>[0], updateId: string): boolean {
  try {
    return viewUpdate(run, updateId) !== undefined;
  } catch {
    return false;
  }
}
