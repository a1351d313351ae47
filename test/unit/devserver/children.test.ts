import type { EngineContext } from '../../../services/devserver/context';
import { createEngine, DEFAULT_ENGINE_OPTIONS, stopEngine } from '../../../services/devserver/engine';
import type { CallContext } from '../../../services/devserver/history-api';
import { createMemoryStore } from '../../../services/devserver/memory-store';
import type { Msg } from '../../../services/devserver/proto';
import { createWorkflowServiceHandlers, type Handler } from '../../../services/devserver/service';
import { createLogger } from '../../../services/logger';

/**
 * Child workflows and continue-as-new at the engine level, with plain-object messages: the
 * orderings the SDK rarely produces on its own (a child closing while its parent's task runs, a
 * child continuing as new, a parent terminated from outside).
 */
let ctx: EngineContext;
let rpc: Record<string, Handler>;
const call: CallContext = { signal: new AbortController().signal };
let seq = 0;

beforeEach(async () => {
  ctx = await createEngine({
    store: createMemoryStore(),
    logger: createLogger({ level: 'silent' }),
    options: { ...DEFAULT_ENGINE_OPTIONS, longPollMs: 50, stickyEnabled: false },
  });
  rpc = createWorkflowServiceHandlers(ctx);
});
afterEach(() => stopEngine(ctx));

interface Event extends Msg {
  eventId: number;
  eventType: string;
}

async function invoke(method: string, req: Msg): Promise<Msg> {
  const handler = rpc[method];
  if (!handler) throw new Error(`no handler ${method}`);
  return handler({ namespace: 'default', ...req }, call);
}

function uniqueId(label: string): string {
  return `${label}-${++seq}-${Date.now()}`;
}

async function start(taskQueue: string): Promise<string> {
  const workflowId = uniqueId('parent');
  await invoke('StartWorkflowExecution', {
    workflowId,
    workflowType: { name: 'parent' },
    taskQueue: { name: taskQueue },
  });
  return workflowId;
}

async function poll(taskQueue: string): Promise<Msg> {
  const task = await invoke('PollWorkflowTaskQueue', { taskQueue: { name: taskQueue }, identity: 'test' });
  if (!task.taskToken) throw new Error(`no workflow task on ${taskQueue}`);
  return task;
}

/** Takes the next two tasks on the queue and returns them ordered as [parent, child]. */
async function pollBoth(taskQueue: string, childId: string): Promise<[Msg, Msg]> {
  const first = await poll(taskQueue);
  const second = await poll(taskQueue);
  return (first.workflowExecution as Msg).workflowId === childId ? [second, first] : [first, second];
}

async function complete(task: Msg, commands: Msg[]): Promise<void> {
  await invoke('RespondWorkflowTaskCompleted', { taskToken: task.taskToken, commands, identity: 'test' });
}

async function history(workflowId: string, runId = ''): Promise<Event[]> {
  const res = await invoke('GetWorkflowExecutionHistory', { execution: { workflowId, runId } });
  return (res.history as { events: Event[] }).events;
}

function types(events: Event[]): string[] {
  return events.map((e) => e.eventType.replace('EVENT_TYPE_', ''));
}

function startChildCommand(workflowId: string, extra: Msg = {}): Msg {
  return {
    commandType: 'COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION',
    startChildWorkflowExecutionCommandAttributes: {
      workflowId,
      workflowType: { name: 'child' },
      ...extra,
    },
  };
}

const COMPLETE = {
  commandType: 'COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION',
  completeWorkflowExecutionCommandAttributes: {},
};

describe('child workflows in the engine', () => {
  it('buffers a child close that happens while the parent task runs, linked to both child events', async () => {
    const queue = uniqueId('q');
    const parentId = await start(queue);
    const childId = uniqueId('child');
    await complete(await poll(queue), [startChildCommand(childId)]);
    // The parent's next task (for ChildStarted) and the child's first task are both queued.
    const [parentTask, childTask] = await pollBoth(queue, childId);
    expect((childTask.workflowExecution as Msg).workflowId).toBe(childId);
    expect((parentTask.workflowExecution as Msg).workflowId).toBe(parentId);
    await complete(childTask, [COMPLETE]);
    await complete(parentTask, []);

    const events = await history(parentId);
    expect(types(events)).toEqual([
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_COMPLETED',
      'START_CHILD_WORKFLOW_EXECUTION_INITIATED',
      'CHILD_WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_COMPLETED',
      'CHILD_WORKFLOW_EXECUTION_COMPLETED',
      'WORKFLOW_TASK_SCHEDULED',
    ]);
    const closed = events[9]!.childWorkflowExecutionCompletedEventAttributes as Msg;
    expect(closed.initiatedEventId).toBe(5);
    expect(closed.startedEventId).toBe(6);
    const initiated = events[4]!.startChildWorkflowExecutionInitiatedEventAttributes as Msg;
    expect(initiated.taskQueue).toEqual({ name: queue });
    expect(initiated.workflowTaskCompletedEventId).toBe(4);
    const childStarted = (await history(childId))[0]!.workflowExecutionStartedEventAttributes as Msg;
    expect(childStarted.parentWorkflowExecution).toEqual({
      workflowId: parentId,
      runId: (parentTask.workflowExecution as Msg).runId,
    });
    expect(childStarted.parentInitiatedEventId).toBe(5);
  });

  it('tells the parent only when the last run of a child that continued as new closes', async () => {
    const queue = uniqueId('q');
    const parentId = await start(queue);
    const childId = uniqueId('child');
    await complete(await poll(queue), [startChildCommand(childId)]);
    const [parentTask, childTask] = await pollBoth(queue, childId);
    await complete(parentTask, []);
    await complete(childTask, [
      {
        commandType: 'COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION',
        continueAsNewWorkflowExecutionCommandAttributes: {},
      },
    ]);
    expect(types(await history(parentId)).at(-1)).toBe('WORKFLOW_TASK_COMPLETED');

    const nextRun = await poll(queue);
    const nextStarted = (nextRun.history as { events: Event[] }).events[0]!
      .workflowExecutionStartedEventAttributes as Msg;
    expect(nextStarted.continuedExecutionRunId).toBe((childTask.workflowExecution as Msg).runId);
    expect(nextStarted.parentInitiatedEventId).toBe(5);
    expect((nextStarted.workflowType as Msg).name).toBe('child');
    await complete(nextRun, [COMPLETE]);
    const parentEvents = await history(parentId);
    expect(types(parentEvents).slice(-2)).toEqual([
      'CHILD_WORKFLOW_EXECUTION_COMPLETED',
      'WORKFLOW_TASK_SCHEDULED',
    ]);
  });

  it('terminates an open child when its parent is terminated (default policy) and abandons on ABANDON', async () => {
    const queue = uniqueId('q');
    const parentId = await start(queue);
    const doomed = uniqueId('doomed');
    const abandoned = uniqueId('abandoned');
    await complete(await poll(queue), [
      startChildCommand(doomed),
      startChildCommand(abandoned, { parentClosePolicy: 'PARENT_CLOSE_POLICY_ABANDON' }),
    ]);
    const open = await invoke('DescribeWorkflowExecution', { execution: { workflowId: parentId } });
    expect((open.pendingChildren as Msg[]).map((c) => [c.workflowId, c.parentClosePolicy])).toEqual([
      [doomed, 'PARENT_CLOSE_POLICY_TERMINATE'],
      [abandoned, 'PARENT_CLOSE_POLICY_ABANDON'],
    ]);
    await invoke('TerminateWorkflowExecution', {
      workflowExecution: { workflowId: parentId },
      reason: 'test',
    });
    const closed = await invoke('DescribeWorkflowExecution', { execution: { workflowId: parentId } });
    expect(closed.pendingChildren).toEqual([]);

    expect(types(await history(doomed)).at(-1)).toBe('WORKFLOW_EXECUTION_TERMINATED');
    expect(types(await history(abandoned)).at(-1)).not.toBe('WORKFLOW_EXECUTION_TERMINATED');
    // Nothing lands in the closed parent's history after its close event.
    expect(types(await history(parentId)).at(-1)).toBe('WORKFLOW_EXECUTION_TERMINATED');
    const described = await invoke('DescribeWorkflowExecution', { execution: { workflowId: abandoned } });
    expect((described.workflowExecutionInfo as Msg).parentExecution).toMatchObject({ workflowId: parentId });
  });

  it('fails the task with BAD_START_CHILD_EXECUTION_ATTRIBUTES when the child has no workflow id', async () => {
    const queue = uniqueId('q');
    const parentId = await start(queue);
    await expect(complete(await poll(queue), [startChildCommand('')])).rejects.toMatchObject({
      message: expect.stringContaining('workflowId is not set') as unknown,
    });
    const failed = (await history(parentId)).find((e) => e.workflowTaskFailedEventAttributes);
    expect((failed?.workflowTaskFailedEventAttributes as Msg).cause).toBe(
      'WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES',
    );
  });
});

describe('continue-as-new across a restart', () => {
  it('points the workflow id at the new run even when both runs started in the same millisecond', async () => {
    const queue = uniqueId('q');
    const workflowId = await start(queue);
    await complete(await poll(queue), [
      {
        commandType: 'COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION',
        continueAsNewWorkflowExecutionCommandAttributes: {},
      },
    ]);
    const runs = [...ctx.runs.values()].filter((r) => r.state.workflowId === workflowId);
    expect(runs).toHaveLength(2);
    const newRunId = ctx.current.get(`default\u0000${workflowId}`)!.state.runId;
    // Reload the same state with equal start times, the continued run listed last.
    const sameMs = runs.map((r) => ({ state: { ...r.state, startTimeMs: 1 }, events: r.events }));
    sameMs.sort((a) => (a.state.status === 'WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW' ? 1 : -1));
    stopEngine(ctx);
    ctx = await createEngine({
      store: {
        kind: 'memory',
        load: () => Promise.resolve({ namespaces: [], runs: sameMs }),
        commit: () => Promise.resolve(),
        close: () => Promise.resolve(),
      },
      logger: createLogger({ level: 'silent' }),
      options: { ...DEFAULT_ENGINE_OPTIONS, longPollMs: 50, stickyEnabled: false },
    });
    expect(ctx.current.get(`default\u0000${workflowId}`)!.state.runId).toBe(newRunId);
  });
});
