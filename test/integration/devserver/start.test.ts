import { randomUUID } from 'node:crypto';
import {
  Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  type WorkflowClientInterceptor,
} from '@temporalio/client';
import {
  defaultPayloadConverter,
  defineSearchAttributeKey,
  SearchAttributeType,
  TimeoutFailure,
} from '@temporalio/common';
import { rejectionOf } from '../../support/devserver';
import { useFixtureHarness } from '../../support/devserver-fixtures';
import { echoWorkflow, failingWorkflow, sleepWorkflow } from '../../fixtures/devserver/workflows';

const suite = useFixtureHarness();

const KEYWORD = defineSearchAttributeKey('CustomKeywordField', SearchAttributeType.KEYWORD);

describe('StartWorkflowExecution on the devserver', () => {
  it('is idempotent for a repeated requestId and rejects a new one while the run is open', async () => {
    const workflowId = suite.h.workflowId('idem');
    const request = {
      namespace: suite.h.namespace,
      workflowId,
      workflowType: { name: 'sleepWorkflow' },
      taskQueue: { name: suite.h.taskQueue('idle') },
      input: { payloads: [defaultPayloadConverter.toPayload({ ms: 60_000 })] },
      requestId: randomUUID(),
      identity: 'devserver-test',
    };
    const first = await suite.h.client.workflowService.startWorkflowExecution(request);
    const retried = await suite.h.client.workflowService.startWorkflowExecution(request);
    expect(first.runId).toBeTruthy();
    expect(retried.runId).toBe(first.runId);

    const conflict = await rejectionOf(
      suite.h.client.workflowService.startWorkflowExecution({ ...request, requestId: randomUUID() }),
    );
    expect((conflict as { code?: number }).code).toBe(6 /* ALREADY_EXISTS */);
    await suite.h.client.workflow.getHandle(workflowId).terminate('test done');
  });

  it('fails a second start of a running id with WorkflowExecutionAlreadyStartedError', async () => {
    const workflowId = suite.h.workflowId('dup');
    await suite.h.client.workflow.start(sleepWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId,
      args: [{ ms: 60_000 }],
    });
    const err = await rejectionOf(
      suite.h.client.workflow.start(sleepWorkflow, {
        taskQueue: suite.worker.taskQueue,
        workflowId,
        args: [{ ms: 1 }],
      }),
    );
    expect(err).toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    expect((err as WorkflowExecutionAlreadyStartedError).workflowId).toBe(workflowId);
    await suite.h.client.workflow.getHandle(workflowId).terminate('test done');
  });

  it('applies id conflict policies USE_EXISTING and TERMINATE_EXISTING', async () => {
    const workflowId = suite.h.workflowId('conflict');
    const opts = { taskQueue: suite.worker.taskQueue, workflowId, args: [{ ms: 60_000 }] } as const;
    const original = await suite.h.client.workflow.start(sleepWorkflow, opts);

    const reused = await suite.h.client.workflow.start(sleepWorkflow, {
      ...opts,
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    expect(reused.firstExecutionRunId).toBe(original.firstExecutionRunId);

    const replacement = await suite.h.client.workflow.start(sleepWorkflow, {
      ...opts,
      workflowIdConflictPolicy: 'TERMINATE_EXISTING',
    });
    expect(replacement.firstExecutionRunId).not.toBe(original.firstExecutionRunId);
    const old = await suite.h.client.workflow.getHandle(workflowId, original.firstExecutionRunId).describe();
    expect(old.status.name).toBe('TERMINATED');
    expect((await replacement.describe()).status.name).toBe('RUNNING');
    await replacement.terminate('test done');
  });

  it('applies id reuse policies to closed runs', async () => {
    const tq = suite.worker.taskQueue;
    const completedId = suite.h.workflowId('reuse-completed');
    const first = await suite.h.client.workflow.start(echoWorkflow, {
      taskQueue: tq,
      workflowId: completedId,
      args: [{ value: 'one' }],
    });
    await first.result();

    // ALLOW_DUPLICATE (default): a new run under the same id.
    const second = await suite.h.client.workflow.start(echoWorkflow, {
      taskQueue: tq,
      workflowId: completedId,
      args: [{ value: 'two' }],
    });
    expect(second.firstExecutionRunId).not.toBe(first.firstExecutionRunId);
    await expect(second.result()).resolves.toBe('two');

    for (const policy of ['REJECT_DUPLICATE', 'ALLOW_DUPLICATE_FAILED_ONLY'] as const) {
      const err = await rejectionOf(
        suite.h.client.workflow.start(echoWorkflow, {
          taskQueue: tq,
          workflowId: completedId,
          args: [{ value: 'three' }],
          workflowIdReusePolicy: policy,
        }),
      );
      expect(err).toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    }

    const failedId = suite.h.workflowId('reuse-failed');
    const failed = await suite.h.client.workflow.start(failingWorkflow, {
      taskQueue: tq,
      workflowId: failedId,
      args: [{ message: 'x' }],
    });
    await expect(failed.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    const retry = await suite.h.client.workflow.start(echoWorkflow, {
      taskQueue: tq,
      workflowId: failedId,
      args: [{ value: 'after failure' }],
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
    });
    await expect(retry.result()).resolves.toBe('after failure');
  });

  it('stores memo, search attributes and headers from the start request', async () => {
    const traced = new Client({
      connection: suite.h.client.connection,
      namespace: suite.h.namespace,
      interceptors: {
        workflow: [
          {
            async startWithDetails(input, next) {
              return next({
                ...input,
                headers: { ...input.headers, 'x-trace': defaultPayloadConverter.toPayload('trace-123') },
              });
            },
          } satisfies WorkflowClientInterceptor,
        ],
      },
    });
    const handle = await traced.workflow.start(echoWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId: suite.h.workflowId('meta'),
      args: [{ value: 'v' }],
      memo: { owner: 'alice', tags: ['a', 'b'] },
      typedSearchAttributes: [{ key: KEYWORD, value: 'kw-1' }],
    });
    await handle.result();

    const description = await handle.describe();
    expect(description.memo).toEqual({ owner: 'alice', tags: ['a', 'b'] });
    expect(description.typedSearchAttributes.get(KEYWORD)).toBe('kw-1');
    expect(description.type).toBe('echoWorkflow');
    expect(description.taskQueue).toBe(suite.worker.taskQueue);

    const [started] = await suite.h.history(handle);
    const header = started!.workflowExecutionStartedEventAttributes!.header!.fields!['x-trace'];
    expect(defaultPayloadConverter.fromPayload(header!)).toBe('trace-123');
  });

  it.each([
    ['workflowExecutionTimeout', { workflowExecutionTimeout: '500ms' }],
    ['workflowRunTimeout', { workflowRunTimeout: '500ms' }],
  ] as const)('times a run out after its %s', async (_name, timeout) => {
    const begun = Date.now();
    const handle = await suite.h.client.workflow.start(sleepWorkflow, {
      taskQueue: suite.worker.taskQueue,
      workflowId: suite.h.workflowId('timeout'),
      args: [{ ms: 60_000 }],
      ...timeout,
    });
    const err = await rejectionOf(handle.result());
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(TimeoutFailure);
    const elapsed = Date.now() - begun;
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(5_000);
    expect((await handle.describe()).status.name).toBe('TIMED_OUT');
  });

  it('replays every workflow history this file produced', async () => {
    await expect(suite.h.replayAll()).resolves.toBeGreaterThan(0);
  });
});
