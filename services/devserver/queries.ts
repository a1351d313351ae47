import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { enqueueLegacyQuery, scheduleWorkflowTask, type EngineContext } from './context';
import { DevServerError, FailedPreconditionError, InvalidArgumentError } from './errors';
import { packAny, type Msg } from './proto';
import { RUNNING, type PendingQuery, type QueryOutcome, type Run } from './state';

/**
 * QueryWorkflow. An open run with a workflow task in flight (or none completed yet) gets a
 * consistent query riding on its next task; an idle or closed run gets a legacy query task.
 * Registers the query synchronously and returns the promise of its outcome.
 */
export function submitQuery(
  ctx: EngineContext,
  run: Run,
  req: Msg,
): { queryId: string; outcome: Promise<QueryOutcome> } | { rejected: Msg } {
  const query = req.query as { queryType?: string } | undefined;
  if (!query?.queryType) throw new InvalidArgumentError('query.queryType is required');
  const state = run.state;
  if (state.status !== RUNNING) {
    const condition = req.queryRejectCondition as string | undefined;
    if (
      condition === 'QUERY_REJECT_CONDITION_NOT_OPEN' ||
      (condition === 'QUERY_REJECT_CONDITION_NOT_COMPLETED_CLEANLY' &&
        state.status !== 'WORKFLOW_EXECUTION_STATUS_COMPLETED')
    ) {
      return { rejected: { queryRejected: { status: state.status } } };
    }
    if (state.lastCompletedStartedEventId === 0) {
      throw new FailedPreconditionError(
        'workflow closed before completing a workflow task; it cannot be queried',
      );
    }
  }
  const queryId = randomUUID();
  const outcome = new Promise<QueryOutcome>((resolve) => {
    const pending: PendingQuery = {
      queryId,
      query: query,
      deliveredIn: 0,
      legacy: false,
      queue: '',
      resolve,
    };
    run.queries.set(pending.queryId, pending);
    if (state.status === RUNNING && (state.workflowTask || state.lastCompletedStartedEventId === 0)) {
      if (!state.workflowTask) scheduleWorkflowTask(ctx, run);
    } else {
      enqueueLegacyQuery(ctx, run, pending);
    }
  });
  return { queryId, outcome };
}

/** Forgets a query whose caller gave up. */
export function dropQuery(run: Run, queryId: string): void {
  run.queries.delete(queryId);
}

/** Turns a query outcome into the QueryWorkflow response or error. */
export function queryResponse(outcome: QueryOutcome): Msg {
  if (outcome.kind === 'answered') return { queryResult: outcome.answer ?? { payloads: [] } };
  throw new DevServerError(status.INVALID_ARGUMENT, outcome.message, [
    packAny(
      'temporal.api.errordetails.v1.QueryFailedFailure',
      outcome.failure ? { failure: outcome.failure } : {},
    ),
  ]);
}

/** RespondQueryTaskCompleted for a legacy query task. */
export function answerLegacyQuery(run: Run, queryId: string, req: Msg): boolean {
  const query = run.queries.get(queryId);
  if (!query?.legacy) return false;
  run.queries.delete(queryId);
  if (req.completedType === 'QUERY_RESULT_TYPE_ANSWERED') {
    query.resolve({ kind: 'answered', answer: (req.queryResult as Msg | undefined) ?? null });
  } else {
    query.resolve({
      kind: 'failed',
      message: (req.errorMessage as string | undefined) ?? 'query failed',
      failure: (req.failure as Msg | undefined) ?? null,
    });
  }
  return true;
}
