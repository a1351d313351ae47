import { addExternalEvents, type EngineContext } from './context';
import type { Msg } from './proto';
import { RUNNING, runKey, workflowKey, type Run } from './state';
import { requestCancelRun, signalAttributes } from './workflows';

/** `SignalExternalWorkflowExecutionCommandAttributes`. */
export interface SignalExternalAttributes extends Msg {
  namespace?: string;
  execution?: { workflowId?: string; runId?: string };
  signalName?: string;
  control?: string;
  childWorkflowOnly?: boolean;
}

/** `RequestCancelExternalWorkflowExecutionCommandAttributes`. */
export interface CancelExternalAttributes extends Msg {
  namespace?: string;
  workflowId?: string;
  runId?: string;
  control?: string;
  childWorkflowOnly?: boolean;
  reason?: string;
}

/** Validation message for a SignalExternalWorkflowExecution command, or undefined. */
export function validateSignalExternal(attrs: SignalExternalAttributes): string | undefined {
  if (!attrs.execution?.workflowId)
    return 'SignalExternalWorkflowExecutionCommandAttributes.execution.workflowId is not set';
  if (!attrs.signalName) return 'SignalExternalWorkflowExecutionCommandAttributes.signalName is not set';
  return undefined;
}

/** Validation message for a RequestCancelExternalWorkflowExecution command, or undefined. */
export function validateCancelExternal(attrs: CancelExternalAttributes): string | undefined {
  return attrs.workflowId
    ? undefined
    : 'RequestCancelExternalWorkflowExecutionCommandAttributes.workflowId is not set';
}

/**
 * The open run another workflow targets: by run id, or the current run. A run id of a run that
 * continued as new resolves to the chain's open run. `childOnly` restricts it to the source's
 * children.
 */
function resolveTarget(
  ctx: EngineContext,
  source: Run,
  namespace: string,
  workflowId: string,
  runId: string | undefined,
  childOnly: boolean,
): Run | undefined {
  let run = runId
    ? ctx.runs.get(runKey(namespace, runId))
    : ctx.current.get(workflowKey(namespace, workflowId));
  if (run?.state.workflowId !== workflowId) return undefined;
  if (run.state.status === 'WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW') {
    const latest = ctx.current.get(workflowKey(namespace, workflowId));
    run = latest?.state.firstExecutionRunId === run.state.firstExecutionRunId ? latest : undefined;
  }
  if (run?.state.status !== RUNNING) return undefined;
  if (childOnly && run.state.parent?.workflowId !== source.state.workflowId) return undefined;
  return run;
}

/**
 * The run a signal/cancel-external command targets (undefined when its namespace or run does not
 * exist), with the namespace and execution as the command's failure events report them.
 */
function findExternalTarget(
  ctx: EngineContext,
  source: Run,
  ref: {
    namespace?: string | null;
    workflowId?: string | null;
    runId?: string | null;
    childWorkflowOnly?: boolean | null;
  },
) {
  const namespace = ref.namespace || source.state.namespace;
  const execution = { workflowId: ref.workflowId ?? '', runId: ref.runId ?? '' };
  const target = ctx.namespaces.has(namespace)
    ? resolveTarget(
        ctx,
        source,
        namespace,
        execution.workflowId,
        execution.runId,
        ref.childWorkflowOnly === true,
      )
    : undefined;
  return { namespace, execution, target };
}

/**
 * Delivers a `SignalExternalWorkflowExecutionInitiated` (in the source's transaction, after its
 * command events): `WorkflowExecutionSignaled` in the target, then `ExternalWorkflowExecutionSignaled`
 * or `SignalExternalWorkflowExecutionFailed` in the source.
 */
export function signalExternal(
  ctx: EngineContext,
  source: Run,
  attrs: SignalExternalAttributes,
  initiatedEventId: number,
): void {
  const { namespace, execution, target } = findExternalTarget(ctx, source, {
    namespace: attrs.namespace,
    workflowId: attrs.execution?.workflowId,
    runId: attrs.execution?.runId,
    childWorkflowOnly: attrs.childWorkflowOnly,
  });
  if (target) {
    addExternalEvents(ctx, target, [
      {
        eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED',
        attributes: {
          ...signalAttributes({
            signalName: attrs.signalName,
            input: attrs.input,
            header: attrs.header,
            identity: '',
          }),
          externalWorkflowExecution: { workflowId: source.state.workflowId, runId: source.state.runId },
        },
      },
    ]);
  }
  addExternalEvents(ctx, source, [
    target
      ? {
          eventType: 'EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED',
          attributes: {
            initiatedEventId,
            namespace,
            workflowExecution: execution,
            control: attrs.control ?? '',
          },
        }
      : {
          eventType: 'EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED',
          attributes: {
            cause: ctx.namespaces.has(namespace)
              ? 'SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND'
              : 'SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_NAMESPACE_NOT_FOUND',
            namespace,
            workflowExecution: execution,
            initiatedEventId,
            control: attrs.control ?? '',
          },
        },
  ]);
}

/**
 * Delivers a `RequestCancelExternalWorkflowExecutionInitiated`: `WorkflowExecutionCancelRequested`
 * in the target, then `ExternalWorkflowExecutionCancelRequested` or
 * `RequestCancelExternalWorkflowExecutionFailed` in the source.
 */
export function cancelExternal(
  ctx: EngineContext,
  source: Run,
  attrs: CancelExternalAttributes,
  initiatedEventId: number,
): void {
  const { namespace, execution, target } = findExternalTarget(ctx, source, attrs);
  if (target) {
    requestCancelRun(
      ctx,
      target,
      { reason: attrs.reason ?? '', identity: '' },
      {
        externalInitiatedEventId: initiatedEventId,
        externalWorkflowExecution: { workflowId: source.state.workflowId, runId: source.state.runId },
      },
    );
  }
  addExternalEvents(ctx, source, [
    target
      ? {
          eventType: 'EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED',
          attributes: { initiatedEventId, namespace, workflowExecution: execution },
        }
      : {
          eventType: 'EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED',
          attributes: {
            cause: ctx.namespaces.has(namespace)
              ? 'CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND'
              : 'CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_NAMESPACE_NOT_FOUND',
            namespace,
            workflowExecution: execution,
            initiatedEventId,
            control: attrs.control ?? '',
          },
        },
  ]);
}
