import type {
  ActivityInput,
  LocalActivityInput,
  Next,
  WorkflowInterceptors,
  WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import { withGateContext, type GateContext } from './gate-context';

/**
 * Workflow outbound interceptor that attaches the gate context header to every activity the
 * workflow schedules. The workflow owns the state (budget, taint, persona), so it registers a
 * provider that builds the context from that state at scheduling time. Sandbox-safe: module
 * state is per workflow execution (the SDK isolates workflow modules, also with
 * `reuseV8Context`).
 */

/** Builds the context for one activity; undefined sends the activity without the header. */
export type GateContextProvider = (activity: {
  activityType: string;
  args: readonly unknown[];
}) => GateContext | undefined;

/**
 * An interceptor that adds the header from `provider` to `scheduleActivity` and
 * `scheduleLocalActivity` calls.
 */
export function createGateContextInterceptor(
  provider: GateContextProvider,
): WorkflowOutboundCallsInterceptor {
  const attach = <T extends ActivityInput | LocalActivityInput>(input: T): T => {
    const context = provider({ activityType: input.activityType, args: input.args });
    return context === undefined ? input : { ...input, headers: withGateContext(input.headers, context) };
  };
  return {
    scheduleActivity(input: ActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>) {
      return next(attach(input));
    },
    scheduleLocalActivity(
      input: LocalActivityInput,
      next: Next<WorkflowOutboundCallsInterceptor, 'scheduleLocalActivity'>,
    ) {
      return next(attach(input));
    },
  };
}

let currentProvider: GateContextProvider | undefined;

/**
 * Registers the provider for this workflow execution; call it first thing in the workflow
 * function. Later calls replace it (e.g. after the plan is loaded).
 */
export function setGateContextProvider(provider: GateContextProvider | undefined): void {
  currentProvider = provider;
}

/**
 * The workflow interceptors module entry: list this file in the worker's
 * `interceptors.workflowModules`. Activities scheduled before a provider is set carry no header.
 */
export function interceptors(): WorkflowInterceptors {
  return { outbound: [createGateContextInterceptor((activity) => currentProvider?.(activity))] };
}
