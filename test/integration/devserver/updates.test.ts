import { randomUUID } from 'node:crypto';
import {
  Client,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  WorkflowUpdateStage,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { eventTypes, interleavedTaskEvents, rejectionOf, uniqueSuffix } from '../../support/devserver';
import { useFixtureHarness } from '../../support/devserver-fixtures';
import {
  awaitReleaseUpdate,
  EMPTY_VALUE_MESSAGE,
  failingUpdate,
  releaseSignal,
  setValueUpdate,
  sleepUpdate,
  updatableWorkflow,
} from '../../fixtures/devserver/update-workflows';
import { finishSignal } from '../../fixtures/devserver/shared';

const suite = useFixtureHarness();

const ACCEPTED = 'WORKFLOW_EXECUTION_UPDATE_ACCEPTED';
const COMPLETED = 'WORKFLOW_EXECUTION_UPDATE_COMPLETED';

function startUpdatable(label: string): Promise<WorkflowHandle<typeof updatableWorkflow>> {
  return suite.h.client.workflow.start(updatableWorkflow, {
    taskQueue: suite.worker.taskQueue,
    workflowId: suite.h.workflowId(label),
  });
}

async function finish(handle: WorkflowHandle<typeof updatableWorkflow>): Promise<string[]> {
  await handle.signal(finishSignal);
  return handle.result();
}

function count(types: string[], type: string): number {
  return types.filter((t) => t === type).length;
}

/** The gRPC error code of a raw WorkflowService call that must fail. */
async function grpcError(promise: Promise<unknown>): Promise<{ code?: number; details?: string }> {
  return (await rejectionOf(promise)) as { code?: number; details?: string };
}

describe('workflow update on the devserver', () => {
  it('accepts and completes updates, returning their results', async () => {
    const handle = await startUpdatable('update');
    await expect(handle.executeUpdate(setValueUpdate, { args: ['a'] })).resolves.toBe('set:a');
    await expect(handle.executeUpdate(setValueUpdate, { args: ['b'] })).resolves.toBe('set:b');
    await expect(finish(handle)).resolves.toEqual(['a', 'b']);

    const events = await suite.h.history(handle);
    const types = eventTypes(events);
    expect(count(types, ACCEPTED)).toBe(2);
    expect(count(types, COMPLETED)).toBe(2);
    // Each completion points at its acceptance, which carries the original request.
    for (const event of events.filter((e) => e.workflowExecutionUpdateCompletedEventAttributes)) {
      const acceptedId = Number(event.workflowExecutionUpdateCompletedEventAttributes!.acceptedEventId);
      const accepted = events.find((e) => Number(e.eventId) === acceptedId);
      expect(accepted?.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name).toBe(
        'setValue',
      );
    }
    expect(interleavedTaskEvents(events)).toEqual([]);
    await suite.h.replay(handle);
  });

  it('rejects an update its validator refuses: no update events, the workflow keeps running', async () => {
    const handle = await startUpdatable('rejected');
    await expect(handle.executeUpdate(setValueUpdate, { args: ['before'] })).resolves.toBe('set:before');
    const before = eventTypes(await suite.h.history(handle));

    const err = await rejectionOf(handle.executeUpdate(setValueUpdate, { args: [''] }));
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((err as WorkflowUpdateFailedError).cause?.message).toBe(EMPTY_VALUE_MESSAGE);

    // The rejection left exactly one ordinary workflow task behind.
    const after = eventTypes(await suite.h.history(handle));
    expect(after.slice(before.length)).toEqual([
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_COMPLETED',
    ]);
    expect((await handle.describe()).status.name).toBe('RUNNING');

    await expect(handle.executeUpdate(setValueUpdate, { args: ['after'] })).resolves.toBe('set:after');
    await expect(finish(handle)).resolves.toEqual(['before', 'after']);
    const types = eventTypes(await suite.h.history(handle));
    expect(count(types, ACCEPTED)).toBe(2);
    await suite.h.replay(handle);
  });

  it('completes updates that wait for a signal and for a timer', async () => {
    const handle = await startUpdatable('waiting');
    const waiting = await handle.startUpdate(awaitReleaseUpdate, {
      waitForStage: WorkflowUpdateStage.ACCEPTED,
    });
    let types = eventTypes(await suite.h.history(handle));
    expect(count(types, ACCEPTED)).toBe(1);
    expect(count(types, COMPLETED)).toBe(0);

    await handle.signal(releaseSignal);
    await expect(waiting.result()).resolves.toBe('released');
    await expect(handle.executeUpdate(sleepUpdate, { args: [200] })).resolves.toBe(200);
    await expect(finish(handle)).resolves.toEqual([]);

    types = eventTypes(await suite.h.history(handle));
    expect(count(types, COMPLETED)).toBe(2);
    expect(types).toContain('TIMER_FIRED');
    // The timer's update completes after the timer fired.
    expect(types.lastIndexOf(COMPLETED)).toBeGreaterThan(types.indexOf('TIMER_FIRED'));
    expect(interleavedTaskEvents(await suite.h.history(handle))).toEqual([]);
    await suite.h.replay(handle);
  });

  it('serves update handles: startUpdate + result, getUpdateHandle by id, a failing handler', async () => {
    const handle = await startUpdatable('handles');
    const updateId = `upd-${uniqueSuffix()}`;
    const started = await handle.startUpdate(awaitReleaseUpdate, {
      updateId,
      waitForStage: WorkflowUpdateStage.ACCEPTED,
    });
    expect(started.updateId).toBe(updateId);
    // A handle by id alone (no run id), from a fresh workflow handle.
    const byId = suite.h.client.workflow.getHandle(handle.workflowId).getUpdateHandle<string>(updateId);
    const results = Promise.all([started.result(), byId.result()]);
    await handle.signal(releaseSignal);
    await expect(results).resolves.toEqual(['released', 'released']);

    const err = await rejectionOf(handle.executeUpdate(failingUpdate));
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    const cause = (err as WorkflowUpdateFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe('UpdateBroke');

    await expect(finish(handle)).resolves.toEqual([]);
    const types = eventTypes(await suite.h.history(handle));
    // Accepted then failed: both updates have both events.
    expect(count(types, ACCEPTED)).toBe(2);
    expect(count(types, COMPLETED)).toBe(2);
    await suite.h.replay(handle);
  });

  it('answers NOT_FOUND for a new update on a closed workflow, but still answers a known id', async () => {
    const handle = await startUpdatable('closed');
    const updateId = `known-${uniqueSuffix()}`;
    await expect(handle.executeUpdate(setValueUpdate, { args: ['x'], updateId })).resolves.toBe('set:x');
    await finish(handle);

    const err = await rejectionOf(handle.executeUpdate(setValueUpdate, { args: ['late'] }));
    expect(err).toBeInstanceOf(WorkflowNotFoundError);
    expect((err as Error).message).toContain('workflow execution already completed');
    // Same id after the close: the outcome comes from history.
    await expect(handle.executeUpdate(setValueUpdate, { args: ['other'], updateId })).resolves.toBe('set:x');
    await suite.h.replay(handle);
  });

  it('deduplicates updates by id, concurrent or repeated', async () => {
    const handle = await startUpdatable('dedupe');
    const updateId = `dup-${uniqueSuffix()}`;
    const [first, second] = await Promise.all([
      handle.executeUpdate(setValueUpdate, { args: ['once'], updateId }),
      handle.executeUpdate(setValueUpdate, { args: ['twice'], updateId }),
    ]);
    expect(second).toBe(first);
    await expect(handle.executeUpdate(setValueUpdate, { args: ['thrice'], updateId })).resolves.toBe(first);
    // The handler ran once.
    const values = await finish(handle);
    expect(values).toHaveLength(1);
    expect(count(eventTypes(await suite.h.history(handle)), ACCEPTED)).toBe(1);
    await suite.h.replay(handle);
  });

  it('update-with-start returns the update result early while the workflow keeps running', async () => {
    const workflowId = suite.h.workflowId('uws');
    const startWorkflowOperation = new WithStartWorkflowOperation(updatableWorkflow, {
      workflowId,
      taskQueue: suite.worker.taskQueue,
      workflowIdConflictPolicy: 'FAIL',
    });
    await expect(
      suite.h.client.workflow.executeUpdateWithStart(setValueUpdate, {
        args: ['first'],
        startWorkflowOperation,
      }),
    ).resolves.toBe('set:first');
    const handle = await startWorkflowOperation.workflowHandle();
    expect((await handle.describe()).status.name).toBe('RUNNING');
    // The first workflow task carried the update.
    expect(eventTypes(await suite.h.history(handle))).toEqual([
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_COMPLETED',
      ACCEPTED,
      COMPLETED,
    ]);

    await expect(handle.executeUpdate(setValueUpdate, { args: ['second'] })).resolves.toBe('set:second');
    await handle.signal(finishSignal);
    await expect(handle.result()).resolves.toEqual(['first', 'second']);
    await suite.h.replay(handle);
  });

  it('update-with-start updates a running workflow under USE_EXISTING and refuses under FAIL', async () => {
    const handle = await startUpdatable('uws-existing');
    const runId = (await handle.describe()).runId;
    const useExisting = new WithStartWorkflowOperation(updatableWorkflow, {
      workflowId: handle.workflowId,
      taskQueue: suite.worker.taskQueue,
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    await expect(
      suite.h.client.workflow.executeUpdateWithStart(setValueUpdate, {
        args: ['joined'],
        startWorkflowOperation: useExisting,
      }),
    ).resolves.toBe('set:joined');
    expect((await (await useExisting.workflowHandle()).describe()).runId).toBe(runId);

    const fail = new WithStartWorkflowOperation(updatableWorkflow, {
      workflowId: handle.workflowId,
      taskQueue: suite.worker.taskQueue,
      workflowIdConflictPolicy: 'FAIL',
    });
    const err = await rejectionOf(
      suite.h.client.workflow.executeUpdateWithStart(setValueUpdate, {
        args: ['refused'],
        startWorkflowOperation: fail,
      }),
    );
    expect(err).toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    await expect(rejectionOf(fail.workflowHandle())).resolves.toBeInstanceOf(
      WorkflowExecutionAlreadyStartedError,
    );

    await expect(finish(handle)).resolves.toEqual(['joined']);
    await suite.h.replay(handle);
  });

  it('starts a workflow eagerly on a worker sharing the client connection', async () => {
    // Eager start needs the client on the worker's NativeConnection (sdk-core reserves a slot).
    const eagerClient = new Client({ connection: suite.h.connection, namespace: suite.h.namespace });
    const handle = await eagerClient.workflow.start(updatableWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId: suite.h.workflowId('eager'),
      requestEagerStart: true,
    });
    expect(handle.eagerlyStarted).toBe(true);
    await expect(handle.executeUpdate(setValueUpdate, { args: ['eager'] })).resolves.toBe('set:eager');
    await expect(finish(handle)).resolves.toEqual(['eager']);
    const events = await suite.h.history(handle);
    // The first task was started by the start call itself, under the starter's identity.
    expect(eventTypes(events).slice(0, 4)).toEqual([
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_COMPLETED',
    ]);
    expect(events[2]?.workflowTaskStartedEventAttributes?.identity).toBe(
      events[0]?.workflowExecutionStartedEventAttributes?.identity,
    );
    await suite.h.replay(handle);

    // No worker on the queue: sdk-core does not ask, the task waits on the queue as usual.
    const idle = await eagerClient.workflow.start(updatableWorkflow, {
      taskQueue: suite.h.taskQueue('no-worker'),
      workflowId: suite.h.workflowId('not-eager'),
      requestEagerStart: true,
    });
    expect(idle.eagerlyStarted).toBe(false);
    await idle.terminate('test done');
  });

  it('returns the first workflow task in the StartWorkflowExecution response (raw gRPC)', async () => {
    const service = suite.h.client.workflowService;
    const info = await service.getSystemInfo({});
    expect(info.capabilities?.eagerWorkflowStart).toBe(true);

    const workflowId = suite.h.workflowId('raw-eager');
    const started = await service.startWorkflowExecution({
      namespace: suite.h.namespace,
      workflowId,
      workflowType: { name: 'updatableWorkflow' },
      // A queue nobody polls: only the eager hand-out can run this task.
      taskQueue: { name: suite.h.taskQueue('raw-eager') },
      requestId: randomUUID(),
      identity: 'raw-starter',
      requestEagerExecution: true,
    });
    const task = started.eagerWorkflowTask;
    expect(task?.taskToken?.length).toBeGreaterThan(0);
    const events = task?.history?.events ?? [];
    expect(eventTypes(events)).toEqual([
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
    ]);
    expect(Number(task?.startedEventId)).toBe(3);
    expect(events[2]?.workflowTaskStartedEventAttributes?.identity).toBe('raw-starter');

    await service.respondWorkflowTaskCompleted({
      namespace: suite.h.namespace,
      taskToken: task!.taskToken!,
      identity: 'raw-worker',
      commands: [
        {
          commandType: temporal.api.enums.v1.CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
          completeWorkflowExecutionCommandAttributes: { result: { payloads: [] } },
        },
      ],
    });
    const handle = suite.h.client.workflow.getHandle(workflowId);
    expect((await handle.describe()).status.name).toBe('COMPLETED');
  });

  it('fails an update accepted but unfinished when the workflow completes', async () => {
    const handle = await startUpdatable('closed-accepted');
    const waiting = await handle.startUpdate(awaitReleaseUpdate, {
      waitForStage: WorkflowUpdateStage.ACCEPTED,
    });
    await expect(finish(handle)).resolves.toEqual([]);
    const err = await rejectionOf(waiting.result());
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    const cause = (err as WorkflowUpdateFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe('AcceptedUpdateCompletedWorkflow');
    expect(cause.message).toBe(
      'Workflow Update failed because the Workflow completed before the Update completed.',
    );
    await suite.h.replay(handle);
  });

  it('speaks the update protocol on raw workflow tasks: delivery, unhandled command, rejection', async () => {
    const service = suite.h.client.workflowService;
    const { namespace } = suite.h;
    const { UpdateWorkflowExecutionLifecycleStage: Stage, CommandType } = temporal.api.enums.v1;
    const workflowId = suite.h.workflowId('raw-update');
    const taskQueue = { name: suite.h.taskQueue('raw-update') };
    const poll = () => service.pollWorkflowTaskQueue({ namespace, taskQueue, identity: 'raw-worker' });
    const admit = (updateId: string) =>
      service.updateWorkflowExecution({
        namespace,
        workflowExecution: { workflowId },
        waitPolicy: { lifecycleStage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED },
        request: { meta: { updateId, identity: 'raw-client' }, input: { name: 'setValue', args: {} } },
      });
    const outcomeOf = (updateId: string) =>
      service.pollWorkflowExecutionUpdate({
        namespace,
        updateRef: { workflowExecution: { workflowId }, updateId },
        waitPolicy: { lifecycleStage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED },
      });
    await service.startWorkflowExecution({
      namespace,
      workflowId,
      workflowType: { name: 'rawUpdateTarget' },
      taskQueue,
      requestId: randomUUID(),
    });
    const first = await poll();
    expect(first.messages ?? []).toHaveLength(0);

    // An update admitted while the task runs: completing the workflow now would lose it.
    const admitted = await admit('u1');
    expect(admitted.stage).toBe(Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED);
    const complete = {
      commandType: CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
      completeWorkflowExecutionCommandAttributes: {},
    };
    const unhandled = await grpcError(
      service.respondWorkflowTaskCompleted({ namespace, taskToken: first.taskToken, commands: [complete] }),
    );
    expect(unhandled.code).toBe(3);

    // The next task carries the request, sequenced after the event before its WorkflowTaskStarted.
    const second = await poll();
    expect(second.messages).toHaveLength(1);
    const message = second.messages[0]!;
    expect(message.protocolInstanceId).toBe('u1');
    expect(Number(message.eventId)).toBe(Number(second.startedEventId) - 1);
    expect(message.body?.type_url).toBe('type.googleapis.com/temporal.api.update.v1.Request');
    const request = temporal.api.update.v1.Request.decode(message.body!.value!);
    expect(request.input?.name).toBe('setValue');

    const rejection = temporal.api.update.v1.Rejection.encode({
      rejectedRequestMessageId: message.id,
      rejectedRequestSequencingEventId: message.eventId,
      rejectedRequest: request,
      failure: { message: 'no thanks' },
    }).finish();
    await service.respondWorkflowTaskCompleted({
      namespace,
      taskToken: second.taskToken,
      messages: [
        {
          id: 'u1/reject',
          protocolInstanceId: 'u1',
          body: { type_url: 'type.googleapis.com/temporal.api.update.v1.Rejection', value: rejection },
        },
      ],
    });
    const rejected = await outcomeOf('u1');
    expect(rejected.stage).toBe(Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED);
    expect(rejected.outcome?.failure?.message).toBe('no thanks');

    // A PROTOCOL_MESSAGE command naming no message fails the task; the request goes out again.
    await admit('u2');
    const third = await poll();
    expect(third.messages?.map((m) => m.protocolInstanceId)).toEqual(['u2']);
    const badCommand = await grpcError(
      service.respondWorkflowTaskCompleted({
        namespace,
        taskToken: third.taskToken,
        commands: [
          {
            commandType: CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE,
            protocolMessageCommandAttributes: { messageId: 'nope' },
          },
        ],
      }),
    );
    expect(badCommand.code).toBe(3);
    const fourth = await poll();
    expect(fourth.messages?.map((m) => m.protocolInstanceId)).toEqual(['u2']);
    // A worker that completes the task without answering: the server rejects the update.
    await service.respondWorkflowTaskCompleted({ namespace, taskToken: fourth.taskToken });
    const unprocessed = await outcomeOf('u2');
    expect(unprocessed.outcome?.failure?.applicationFailureInfo?.type).toBe('UnprocessedUpdate');

    const handle = suite.h.client.workflow.getHandle(workflowId);
    const events = await suite.h.history(handle);
    const failedCauses = events
      .filter((e) => e.workflowTaskFailedEventAttributes)
      .map((e) => temporal.api.enums.v1.WorkflowTaskFailedCause[e.workflowTaskFailedEventAttributes!.cause!]);
    expect(failedCauses).toEqual([
      'WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND',
      'WORKFLOW_TASK_FAILED_CAUSE_BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE',
    ]);
    expect(eventTypes(events)).not.toContain(ACCEPTED);
    await handle.terminate('test done');
  });

  it('ends an update call at the client deadline while no worker takes the update', async () => {
    const handle = await suite.h.client.workflow.start(updatableWorkflow, {
      taskQueue: suite.h.taskQueue('nobody'),
      workflowId: suite.h.workflowId('deadline'),
    });
    const err = await rejectionOf(
      suite.h.client.withDeadline(Date.now() + 500, () =>
        handle.executeUpdate(setValueUpdate, { args: ['x'] }),
      ),
    );
    expect(err).toBeInstanceOf(WorkflowUpdateRPCTimeoutOrCancelledError);
    await handle.terminate('test done');
  });

  it('answers malformed update calls with INVALID_ARGUMENT naming the field', async () => {
    const service = suite.h.client.workflowService;
    const handle = await startUpdatable('invalid');
    const missingId = await grpcError(
      service.updateWorkflowExecution({
        namespace: suite.h.namespace,
        workflowExecution: { workflowId: handle.workflowId },
        request: { meta: {}, input: { name: 'setValue' } },
      }),
    );
    expect(missingId.code).toBe(3);
    expect(missingId.details).toContain('request.meta.updateId');

    const oneOperation = await grpcError(
      service.executeMultiOperation({
        namespace: suite.h.namespace,
        operations: [{ updateWorkflow: { workflowExecution: { workflowId: handle.workflowId } } }],
      }),
    );
    expect(oneOperation.code).toBe(3);
    expect(oneOperation.details).toContain('[startWorkflow, updateWorkflow]');

    const unknown = await grpcError(
      service.pollWorkflowExecutionUpdate({
        namespace: suite.h.namespace,
        updateRef: { workflowExecution: { workflowId: handle.workflowId }, updateId: 'never-sent' },
      }),
    );
    expect(unknown.code).toBe(5);
    await finish(handle);
  });
});
