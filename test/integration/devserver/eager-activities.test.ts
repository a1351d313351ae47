import { google, temporal } from '@temporalio/proto';
import { startDevServerHarness, type DevServerHarness } from '../../support/devserver';

const { CommandType, EventType } = temporal.api.enums.v1;
type ICommand = temporal.api.command.v1.ICommand;

/**
 * Eager activity dispatch, driven with raw WorkflowService calls (as sdk-core makes them) so the
 * answer of RespondWorkflowTaskCompleted can be inspected: an activity scheduled with
 * `requestEagerExecution` on the workflow's own task queue comes back started in
 * `activityTasks` instead of going through the activity task queue.
 */
describe('devserver eager activity dispatch', () => {
  let h: DevServerHarness;
  const identity = 'raw-worker';

  beforeAll(async () => {
    // Short long polls: an empty activity poll answers quickly.
    h = await startDevServerHarness({ engine: { longPollMs: 300 } });
  });
  afterAll(async () => {
    await h?.close();
  });

  const scheduleActivity = (activityId: string, taskQueue: string, eager: boolean): ICommand => ({
    commandType: CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
    scheduleActivityTaskCommandAttributes: {
      activityId,
      activityType: { name: 'greet' },
      taskQueue: { name: taskQueue },
      startToCloseTimeout: google.protobuf.Duration.fromObject({ seconds: 10 }),
      requestEagerExecution: eager,
    },
  });

  /** Starts a run with no worker and takes its first workflow task. */
  async function firstWorkflowTask(taskQueue: string) {
    const handle = await h.client.workflow.start('rawWorkflow', { taskQueue, workflowId: h.workflowId() });
    const task = await h.client.workflowService.pollWorkflowTaskQueue({
      namespace: h.namespace,
      taskQueue: { name: taskQueue },
      identity,
    });
    expect(task.taskToken?.length).toBeGreaterThan(0);
    return { handle, taskToken: task.taskToken };
  }

  const complete = (taskToken: Uint8Array, commands: ICommand[]) =>
    h.client.workflowService.respondWorkflowTaskCompleted({
      namespace: h.namespace,
      taskToken,
      identity,
      commands,
    });

  const pollActivity = (taskQueue: string) =>
    h.client.workflowService.pollActivityTaskQueue({
      namespace: h.namespace,
      taskQueue: { name: taskQueue },
      identity: 'poller',
    });

  it('hands an eager activity on the workflow task queue back started; others stay queued', async () => {
    const tq = h.taskQueue();
    const { handle, taskToken } = await firstWorkflowTask(tq);
    const answer = await complete(taskToken, [
      scheduleActivity('eager', tq, true),
      scheduleActivity('queued', tq, false),
    ]);

    expect(answer.activityTasks).toHaveLength(1);
    const eager = answer.activityTasks[0]!;
    expect(eager.activityId).toBe('eager');
    expect(eager.attempt).toBe(1);
    expect(eager.workflowExecution?.workflowId).toBe(handle.workflowId);

    // Only the non-eager activity is on the queue; the eager one is not handed out twice.
    const polled = await pollActivity(tq);
    expect(polled.activityId).toBe('queued');
    expect((await pollActivity(tq)).taskToken?.length ?? 0).toBe(0);

    await h.client.workflowService.respondActivityTaskCompleted({
      namespace: h.namespace,
      taskToken: eager.taskToken,
      identity,
    });
    const history = await handle.fetchHistory();
    const started = history.events!.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED);
    expect(started).toHaveLength(1);
    expect(started[0]!.activityTaskStartedEventAttributes?.identity).toBe(identity);
    expect(history.events!.map((e) => e.eventType)).toContain(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED);
    await handle.terminate('done');
  });

  it('does not hand out eager activities of another task queue or of a run the task closed', async () => {
    const tq = h.taskQueue();
    const other = h.taskQueue('other');
    const first = await firstWorkflowTask(tq);
    const answer = await complete(first.taskToken, [scheduleActivity('elsewhere', other, true)]);
    expect(answer.activityTasks ?? []).toHaveLength(0);
    expect((await pollActivity(other)).activityId).toBe('elsewhere');
    await first.handle.terminate('done');

    const second = await firstWorkflowTask(tq);
    const closing = await complete(second.taskToken, [
      scheduleActivity('abandoned', tq, true),
      {
        commandType: CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
        completeWorkflowExecutionCommandAttributes: {},
      },
    ]);
    expect(closing.activityTasks ?? []).toHaveLength(0);
    expect((await second.handle.describe()).status.name).toBe('COMPLETED');
  });
});
