import { status } from '@grpc/grpc-js';
import type { EngineContext } from '../../../services/devserver/context';
import { createEngine, DEFAULT_ENGINE_OPTIONS, stopEngine } from '../../../services/devserver/engine';
import type { DevServerError } from '../../../services/devserver/errors';
import type { CallContext } from '../../../services/devserver/history-api';
import { createMemoryStore } from '../../../services/devserver/memory-store';
import type { Msg } from '../../../services/devserver/proto';
import { createWorkflowServiceHandlers, type Handler } from '../../../services/devserver/service';
import { createLogger } from '../../../services/logger';

/**
 * The engine driven through its RPC handlers with plain-object messages (no network, no SDK):
 * the workflow-task state machine, buffering and error mapping, checked event by event.
 */
let ctx: EngineContext;
let rpc: Record<string, Handler>;
const call: CallContext = { signal: new AbortController().signal };
let seq = 0;

beforeEach(async () => {
  ctx = await createEngine({
    store: createMemoryStore(),
    logger: createLogger({ level: 'silent' }),
    options: { ...DEFAULT_ENGINE_OPTIONS, longPollMs: 50 },
  });
  rpc = createWorkflowServiceHandlers(ctx);
});
afterEach(() => stopEngine(ctx));

async function invoke(method: string, req: Msg): Promise<Msg> {
  const handler = rpc[method];
  if (!handler) throw new Error(`no handler ${method}`);
  return handler({ namespace: 'default', ...req }, call);
}

async function start(taskQueue: string): Promise<{ workflowId: string; runId: string }> {
  const workflowId = `wf-${++seq}-${Date.now()}`;
  const res = await invoke('StartWorkflowExecution', {
    workflowId,
    workflowType: { name: 'w' },
    taskQueue: { name: taskQueue },
    requestId: `req-${workflowId}`,
  });
  return { workflowId, runId: res.runId as string };
}

async function pollWorkflowTask(taskQueue: string): Promise<Msg> {
  return invoke('PollWorkflowTaskQueue', {
    taskQueue: { name: taskQueue, kind: 'TASK_QUEUE_KIND_NORMAL' },
    identity: 'test',
  });
}

async function eventTypes(execution: { workflowId: string }): Promise<string[]> {
  const res = await invoke('GetWorkflowExecutionHistory', { execution });
  return ((res.history as { events: { eventType: string }[] }).events ?? []).map((e) =>
    e.eventType.replace('EVENT_TYPE_', ''),
  );
}

function errorOf(promise: Promise<unknown>): Promise<DevServerError> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err as DevServerError,
  );
}

describe('devserver engine (handlers, in memory)', () => {
  it('runs start → workflow task → complete with contiguous events and previous-started ids', async () => {
    const exec = await start('q1');
    const task = await pollWorkflowTask('q1');
    expect(task.startedEventId).toBe(3);
    expect(task.previousStartedEventId).toBe(0);
    expect((task.history as { events: unknown[] }).events).toHaveLength(3);
    await invoke('RespondWorkflowTaskCompleted', {
      taskToken: task.taskToken,
      commands: [
        {
          commandType: 'COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION',
          completeWorkflowExecutionCommandAttributes: {},
        },
      ],
    });
    expect(await eventTypes(exec)).toEqual([
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_COMPLETED',
      'WORKFLOW_EXECUTION_COMPLETED',
    ]);
    const stale = await errorOf(
      invoke('RespondWorkflowTaskCompleted', { taskToken: task.taskToken, commands: [] }),
    );
    expect(stale.code).toBe(status.NOT_FOUND);
  });

  it('buffers a signal that arrives while a task runs and fails a closing completion as UNHANDLED_COMMAND', async () => {
    const exec = await start('q2');
    const task = await pollWorkflowTask('q2');
    await invoke('SignalWorkflowExecution', { workflowExecution: exec, signalName: 's' });
    expect(await eventTypes(exec)).toHaveLength(3); // held back, not between Started and Completed
    const err = await errorOf(
      invoke('RespondWorkflowTaskCompleted', {
        taskToken: task.taskToken,
        commands: [
          {
            commandType: 'COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION',
            completeWorkflowExecutionCommandAttributes: {},
          },
        ],
      }),
    );
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(await eventTypes(exec)).toEqual([
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_FAILED',
      'WORKFLOW_EXECUTION_SIGNALED',
      'WORKFLOW_TASK_SCHEDULED',
    ]);
    const retry = await pollWorkflowTask('q2');
    expect(retry.attempt).toBe(1);
    expect(retry.startedEventId).toBe(7);
  });

  it('fails a task with a bad command, keeps state consistent and answers INVALID_ARGUMENT naming the field', async () => {
    const exec = await start('q3');
    const task = await pollWorkflowTask('q3');
    const err = await errorOf(
      invoke('RespondWorkflowTaskCompleted', {
        taskToken: task.taskToken,
        commands: [
          {
            commandType: 'COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK',
            scheduleActivityTaskCommandAttributes: { activityId: '1', activityType: { name: 'a' } },
          },
        ],
      }),
    );
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.message).toMatch(/startToCloseTimeout or scheduleToCloseTimeout/);
    const types = await eventTypes(exec);
    expect(types.slice(3)).toEqual(['WORKFLOW_TASK_FAILED', 'WORKFLOW_TASK_SCHEDULED']);
    expect(types).not.toContain('ACTIVITY_TASK_SCHEDULED');
    const retry = await pollWorkflowTask('q3');
    expect(retry.attempt).toBe(2);
  });

  it('answers an empty poll when the long poll ends without a task', async () => {
    const res = await pollWorkflowTask(`empty-${Date.now()}`);
    expect(res).toEqual({});
  });

  it('maps bad requests to clear status codes without touching state', async () => {
    const missing = await errorOf(
      invoke('StartWorkflowExecution', { workflowId: 'x', workflowType: { name: 'w' }, taskQueue: {} }),
    );
    expect(missing.code).toBe(status.INVALID_ARGUMENT);
    expect(missing.message).toBe('taskQueue.name is required');
    const ns = await errorOf(invoke('DescribeNamespace', { namespace: 'nope' }));
    expect(ns.code).toBe(status.NOT_FOUND);
    expect(ns.details[0]?.type_url).toMatch(/NamespaceNotFoundFailure$/);
    const unknown = await errorOf(
      invoke('DescribeWorkflowExecution', { execution: { workflowId: 'never' } }),
    );
    expect(unknown.code).toBe(status.NOT_FOUND);
    const exec = await start('q4');
    const dup = await errorOf(
      invoke('StartWorkflowExecution', {
        workflowId: exec.workflowId,
        workflowType: { name: 'w' },
        taskQueue: { name: 'q4' },
        requestId: 'another',
      }),
    );
    expect(dup.code).toBe(status.ALREADY_EXISTS);
    const again = await invoke('StartWorkflowExecution', {
      workflowId: exec.workflowId,
      workflowType: { name: 'w' },
      taskQueue: { name: 'q4' },
      requestId: `req-${exec.workflowId}`,
    });
    expect(again.runId).toBe(exec.runId);
    expect(ctx.runs.size).toBe(1);
  });

  it('delivers a sticky task with partial history and re-routes it to the normal queue on ShutdownWorker', async () => {
    const exec = await start('q5');
    const first = await pollWorkflowTask('q5');
    await invoke('RespondWorkflowTaskCompleted', {
      taskToken: first.taskToken,
      commands: [
        {
          commandType: 'COMMAND_TYPE_START_TIMER',
          startTimerCommandAttributes: {
            timerId: 't1',
            startToFireTimeout: { seconds: 0, nanos: 10_000_000 },
          },
        },
      ],
      stickyAttributes: {
        workerTaskQueue: { name: 'sticky-5', kind: 'TASK_QUEUE_KIND_STICKY' },
        scheduleToStartTimeout: { seconds: 10 },
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    await invoke('ShutdownWorker', { stickyTaskQueue: 'sticky-5' });
    const task = await pollWorkflowTask('q5');
    const events = (task.history as { events: { eventType: string }[] }).events;
    expect(events[0]?.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_STARTED');
    expect(events.map((e) => e.eventType)).toContain('EVENT_TYPE_TIMER_FIRED');
    expect(task.previousStartedEventId).toBe(3);
    expect(await eventTypes(exec)).toContain('TIMER_FIRED');
  });

  it('times out a run at its run timeout', async () => {
    const workflowId = `wf-timeout-${Date.now()}`;
    await invoke('StartWorkflowExecution', {
      workflowId,
      workflowType: { name: 'w' },
      taskQueue: { name: 'q6' },
      workflowRunTimeout: { seconds: 0, nanos: 100_000_000 },
    });
    await pollWorkflowTask('q6');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const types = await eventTypes({ workflowId });
    // The task timeout is capped by the run timeout, so the task may time out first: either way
    // the run ends with TIMED_OUT and nothing after it.
    expect(types[types.length - 1]).toBe('WORKFLOW_EXECUTION_TIMED_OUT');
    expect(types.filter((t) => t === 'WORKFLOW_EXECUTION_TIMED_OUT')).toHaveLength(1);
    const described = await invoke('DescribeWorkflowExecution', { execution: { workflowId } });
    expect((described.workflowExecutionInfo as Msg).status).toBe('WORKFLOW_EXECUTION_STATUS_TIMED_OUT');
  });

  it('pages history with contiguous pages and an empty token at the end', async () => {
    const exec = await start('q7');
    for (let i = 0; i < 4; i += 1)
      await invoke('SignalWorkflowExecution', { workflowExecution: exec, signalName: `s${i}` });
    const ids: number[] = [];
    let token: unknown;
    let pages = 0;
    do {
      const res = await invoke('GetWorkflowExecutionHistory', {
        execution: exec,
        maximumPageSize: 2,
        nextPageToken: token,
      });
      ids.push(...(res.history as { events: { eventId: number }[] }).events.map((e) => e.eventId));
      token = res.nextPageToken;
      pages += 1;
    } while (token);
    expect(ids).toEqual([1, 2, 3, 4, 5, 6]);
    expect(pages).toBe(3);
    const bad = await errorOf(
      invoke('GetWorkflowExecutionHistory', { execution: exec, nextPageToken: Buffer.from('garbage') }),
    );
    expect(bad.code).toBe(status.INVALID_ARGUMENT);
  });

  it('answers the CLOSE_EVENT long poll with exactly the close event once the run closes', async () => {
    const exec = await start('q8');
    const waiting = invoke('GetWorkflowExecutionHistory', {
      execution: exec,
      waitNewEvent: true,
      historyEventFilterType: 'HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT',
    });
    await invoke('TerminateWorkflowExecution', { workflowExecution: exec, reason: 'done' });
    const res = await waiting;
    const events = (res.history as { events: { eventType: string }[] }).events;
    expect(events.map((e) => e.eventType)).toEqual(['EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED']);
    const again = await errorOf(invoke('TerminateWorkflowExecution', { workflowExecution: exec }));
    expect(again.code).toBe(status.NOT_FOUND);
  });

  it('reports SCHEDULE_TO_CLOSE when a capped start-to-close deadline ties with it', async () => {
    const exec = await start('q9');
    const task = await pollWorkflowTask('q9');
    await invoke('RespondWorkflowTaskCompleted', {
      taskToken: task.taskToken,
      commands: [
        {
          commandType: 'COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK',
          scheduleActivityTaskCommandAttributes: {
            activityId: '1',
            activityType: { name: 'slow' },
            scheduleToCloseTimeout: { seconds: 0, nanos: 100_000_000 },
            startToCloseTimeout: { seconds: 10 },
          },
        },
      ],
    });
    const activityTask = await invoke('PollActivityTaskQueue', {
      taskQueue: { name: 'q9' },
      identity: 'test',
    });
    expect(activityTask.startToCloseTimeout).toEqual({ seconds: 0, nanos: 100_000_000 });
    await new Promise((resolve) => setTimeout(resolve, 250));
    const res = await invoke('GetWorkflowExecutionHistory', { execution: exec });
    const events = (res.history as { events: Msg[] }).events;
    const timedOut = events.find((e) => e.eventType === 'EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT')
      ?.activityTaskTimedOutEventAttributes as
      | {
          failure: { timeoutFailureInfo: { timeoutType: string } };
          retryState: string;
          startedEventId: number;
        }
      | undefined;
    expect(timedOut?.failure.timeoutFailureInfo.timeoutType).toBe('TIMEOUT_TYPE_SCHEDULE_TO_CLOSE');
    expect(timedOut?.retryState).toBe('RETRY_STATE_TIMEOUT');
    expect(events[(timedOut?.startedEventId ?? 0) - 1]?.eventType).toBe('EVENT_TYPE_ACTIVITY_TASK_STARTED');
  });
});
