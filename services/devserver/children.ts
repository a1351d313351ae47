import { randomUUID } from 'node:crypto';
import { addExternalEvents, touch, type EngineContext } from './context';
import { AlreadyStartedError } from './errors';
import { eventAttributes } from './history';
import type { Msg } from './proto';
import { RUNNING, workflowKey, runKey, type ChildState, type Run } from './state';
import {
  requestCancelRun,
  startWorkflow,
  terminateRun,
  validateStartRequest,
  type StartRequest,
} from './workflows';

/** `StartChildWorkflowExecutionCommandAttributes` as the worker sends them. */
export interface StartChildAttributes extends Msg {
  namespace?: string;
  workflowId?: string;
  workflowType?: { name?: string };
  taskQueue?: { name?: string };
  parentClosePolicy?: string;
  control?: string;
}

const CLOSE_POLICY_DEFAULT = 'PARENT_CLOSE_POLICY_TERMINATE';

/** The start request a child command stands for (task queue defaults to the parent's). */
function childStartRequest(parent: Run, attrs: StartChildAttributes): StartRequest {
  const namespace = attrs.namespace || parent.state.namespace;
  return {
    namespace,
    workflowId: attrs.workflowId,
    workflowType: attrs.workflowType,
    taskQueue: attrs.taskQueue?.name ? attrs.taskQueue : { name: parent.state.taskQueue },
    input: attrs.input,
    header: attrs.header,
    workflowExecutionTimeout: attrs.workflowExecutionTimeout as StartRequest['workflowExecutionTimeout'],
    workflowRunTimeout: attrs.workflowRunTimeout as StartRequest['workflowRunTimeout'],
    workflowTaskTimeout: attrs.workflowTaskTimeout as StartRequest['workflowTaskTimeout'],
    workflowIdReusePolicy: attrs.workflowIdReusePolicy as string | undefined,
    retryPolicy: attrs.retryPolicy as StartRequest['retryPolicy'],
    cronSchedule: attrs.cronSchedule as string | undefined,
    memo: attrs.memo as StartRequest['memo'],
    searchAttributes: attrs.searchAttributes as StartRequest['searchAttributes'],
    ...(attrs.priority ? { priority: attrs.priority } : {}),
    requestId: randomUUID(),
    identity: '',
  };
}

/** Validation message for a StartChildWorkflowExecution command, or undefined when it is fine. */
export function validateStartChild(
  ctx: EngineContext,
  parent: Run,
  attrs: StartChildAttributes,
): string | undefined {
  if (!attrs.workflowId) return 'StartChildWorkflowExecutionCommandAttributes.workflowId is not set';
  if (!attrs.workflowType?.name)
    return 'StartChildWorkflowExecutionCommandAttributes.workflowType.name is not set';
  const namespace = attrs.namespace || parent.state.namespace;
  if (!ctx.namespaces.has(namespace))
    return `StartChildWorkflowExecutionCommandAttributes.namespace ${namespace} is not registered`;
  try {
    validateStartRequest(childStartRequest(parent, attrs));
  } catch (err) {
    return `StartChildWorkflowExecutionCommandAttributes: ${(err as Error).message}`;
  }
  return undefined;
}

/** `StartChildWorkflowExecutionInitiated` attributes: the command, with defaults filled in. */
export function initiatedAttributes(parent: Run, attrs: StartChildAttributes, completedEventId: number): Msg {
  const request = childStartRequest(parent, attrs);
  return {
    ...attrs,
    namespace: request.namespace,
    taskQueue: request.taskQueue,
    parentClosePolicy: attrs.parentClosePolicy ?? 'PARENT_CLOSE_POLICY_UNSPECIFIED',
    workflowTaskCompletedEventId: completedEventId,
  };
}

/**
 * Starts the child of a `StartChildWorkflowExecutionInitiated` event (in the parent's transaction,
 * after its command events): the child run with its parent link, then `ChildWorkflowExecutionStarted`
 * in the parent, or `StartChildWorkflowExecutionFailed` when the workflow id is taken.
 */
export function startChild(
  ctx: EngineContext,
  parent: Run,
  attrs: StartChildAttributes,
  initiatedEventId: number,
  userMetadata?: Msg,
): void {
  if (parent.state.status !== RUNNING) return;
  const request = { ...childStartRequest(parent, attrs), ...(userMetadata ? { userMetadata } : {}) };
  const namespace = request.namespace as string;
  const namespaceId = ctx.namespaces.require(namespace).id;
  const workflowType = { name: attrs.workflowType?.name };
  const parentExecution = { workflowId: parent.state.workflowId, runId: parent.state.runId };
  let child: Run;
  try {
    child = startWorkflow(ctx, namespace, request, undefined, {
      parent: {
        namespace: parent.state.namespace,
        workflowId: parent.state.workflowId,
        runId: parent.state.runId,
        initiatedEventId,
      },
      startedAttributes: {
        parentWorkflowNamespace: parent.state.namespace,
        parentWorkflowNamespaceId: ctx.namespaces.require(parent.state.namespace).id,
        parentWorkflowExecution: parentExecution,
        parentInitiatedEventId: initiatedEventId,
        rootWorkflowExecution: rootOf(ctx, parent),
      },
    }).run;
  } catch (err) {
    if (!(err instanceof AlreadyStartedError)) throw err;
    addExternalEvents(ctx, parent, [
      {
        eventType: 'EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED',
        attributes: {
          namespace,
          namespaceId,
          workflowId: attrs.workflowId,
          workflowType,
          cause: 'START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS',
          control: attrs.control ?? '',
          initiatedEventId,
        },
      },
    ]);
    return;
  }
  const [startedEventId = 0] = addExternalEvents(ctx, parent, [
    {
      eventType: 'EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED',
      attributes: {
        namespace,
        namespaceId,
        initiatedEventId,
        workflowExecution: { workflowId: child.state.workflowId, runId: child.state.runId },
        workflowType,
        header: attrs.header,
      },
    },
  ]);
  const children = (parent.state.children ??= {});
  children[initiatedEventId] = {
    initiatedEventId,
    namespace,
    workflowId: child.state.workflowId,
    runId: child.state.runId,
    workflowType: child.state.workflowType,
    startedEventId,
    parentClosePolicy: attrs.parentClosePolicy ?? CLOSE_POLICY_DEFAULT,
  };
  touch(ctx, parent);
}

/** The root of a run's parent chain (the run itself when it has no parent). */
export function rootOf(ctx: EngineContext, run: Run): { workflowId: string; runId: string } {
  let current = run;
  for (let depth = 0; depth < 1000 && current.state.parent; depth++) {
    const link = current.state.parent;
    const parent = ctx.runs.get(runKey(link.namespace, link.runId));
    if (!parent) return { workflowId: link.workflowId, runId: link.runId };
    current = parent;
  }
  return { workflowId: current.state.workflowId, runId: current.state.runId };
}

/** The open run of a child, following its continue-as-new chain; undefined once it closed. */
export function openChildRun(ctx: EngineContext, parent: Run, child: ChildState): Run | undefined {
  const run = ctx.current.get(workflowKey(child.namespace, child.workflowId));
  if (!run || run.state.status !== RUNNING) return undefined;
  const link = run.state.parent;
  return link?.workflowId === parent.state.workflowId && link.initiatedEventId === child.initiatedEventId
    ? run
    : undefined;
}

const CHILD_CLOSE_EVENTS: Record<string, [string, (attrs: Msg) => Msg]> = {
  WORKFLOW_EXECUTION_STATUS_COMPLETED: [
    'EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED',
    (a) => ({ result: a.result }),
  ],
  WORKFLOW_EXECUTION_STATUS_FAILED: [
    'EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED',
    (a) => ({ failure: a.failure, retryState: a.retryState }),
  ],
  WORKFLOW_EXECUTION_STATUS_CANCELED: [
    'EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED',
    (a) => ({ details: a.details }),
  ],
  WORKFLOW_EXECUTION_STATUS_TERMINATED: ['EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED', () => ({})],
  WORKFLOW_EXECUTION_STATUS_TIMED_OUT: [
    'EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT',
    (a) => ({ retryState: a.retryState }),
  ],
};

/**
 * The engine's `onRunClosed` hook: applies the parent close policy to the run's open children
 * (also when it continued as new, as the real server does), then tells an open parent how the
 * child ended. A child run followed by another of its chain says nothing: its last run will.
 */
export function handleRunClosed(ctx: EngineContext, run: Run): void {
  applyParentClosePolicies(ctx, run);
  const link = run.state.parent;
  const closeEvent = run.events[run.state.closeEventId - 1];
  const attrs = closeEvent ? eventAttributes(closeEvent) : {};
  // A run followed by another (continue-as-new, retry, cron) says nothing: the chain's last run will.
  if (!link || attrs.newExecutionRunId) return;
  const parent = ctx.runs.get(runKey(link.namespace, link.runId));
  const child = parent?.state.children?.[link.initiatedEventId];
  if (!parent || !child || parent.state.status !== RUNNING) return;
  const mapping = CHILD_CLOSE_EVENTS[run.state.status];
  if (!mapping) return;
  delete parent.state.children?.[link.initiatedEventId];
  touch(ctx, parent);
  addExternalEvents(ctx, parent, [
    {
      eventType: mapping[0],
      attributes: {
        ...mapping[1](attrs),
        namespace: child.namespace,
        namespaceId: ctx.namespaces.has(child.namespace) ? ctx.namespaces.require(child.namespace).id : '',
        workflowExecution: { workflowId: run.state.workflowId, runId: run.state.runId },
        workflowType: { name: child.workflowType },
        initiatedEventId: child.initiatedEventId,
        startedEventId: child.startedEventId,
      },
    },
  ]);
}

function applyParentClosePolicies(ctx: EngineContext, run: Run): void {
  const children = Object.values(run.state.children ?? {});
  if (children.length === 0) return;
  run.state.children = {};
  touch(ctx, run);
  for (const child of children) {
    const target = openChildRun(ctx, run, child);
    if (!target) continue;
    switch (child.parentClosePolicy) {
      case 'PARENT_CLOSE_POLICY_ABANDON':
        break;
      case 'PARENT_CLOSE_POLICY_REQUEST_CANCEL':
        requestCancelRun(ctx, target, { reason: 'by parent close policy', identity: '' });
        break;
      default:
        terminateRun(ctx, target, 'by parent close policy', null, '');
    }
  }
}
