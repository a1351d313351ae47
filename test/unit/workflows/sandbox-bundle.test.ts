import { randomUUID } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Runtime,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';

// The Temporal bundler refuses Node built-ins and unresolvable modules in workflow code, and a
// replay runs the bundle in the real workflow VM. Together they prove the workflow modules (and
// the interceptor module the worker registers) are sandbox-safe, without a running server.

const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };

/** A history that starts a workflow and stops at its first workflow task: replay runs it once. */
function startedHistory(workflowType: string, input: unknown) {
  const payload = defaultPayloadConverter.toPayload(input);
  const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
  const seconds = Math.floor(Date.now() / 1000);
  const time = { seconds, nanos: 0 };
  const tenSeconds = { seconds: 10, nanos: 0 };
  // fromObject builds real proto messages (Long ids, enum numbers, bytes from base64)
  return temporal.api.history.v1.History.fromObject({
    events: [
      {
        eventId: 1,
        eventTime: time,
        eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED',
        workflowExecutionStartedEventAttributes: {
          workflowType: { name: workflowType },
          taskQueue: { name: 'replay', kind: 'TASK_QUEUE_KIND_NORMAL' },
          input: {
            payloads: [
              { metadata: { encoding: b64(payload.metadata!.encoding!) }, data: b64(payload.data!) },
            ],
          },
          workflowTaskTimeout: tenSeconds,
          originalExecutionRunId: randomUUID(),
          firstExecutionRunId: randomUUID(),
          attempt: 1,
        },
      },
      {
        eventId: 2,
        eventTime: time,
        eventType: 'EVENT_TYPE_WORKFLOW_TASK_SCHEDULED',
        workflowTaskScheduledEventAttributes: {
          taskQueue: { name: 'replay' },
          startToCloseTimeout: tenSeconds,
          attempt: 1,
        },
      },
      {
        eventId: 3,
        eventTime: time,
        eventType: 'EVENT_TYPE_WORKFLOW_TASK_STARTED',
        workflowTaskStartedEventAttributes: { scheduledEventId: 2, requestId: randomUUID() },
      },
    ],
  });
}

describe('workflow sandbox', () => {
  let bundle: WorkflowBundleWithSourceMap;
  const reports: Array<{ kind: string; value: unknown }> = [];

  beforeAll(async () => {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    bundle = await bundleWorkflowCode({
      workflowsPath: require.resolve('./fixtures/sandbox-workflow'),
      workflowInterceptorModules: [
        require.resolve('../../../workflows/gate-context-interceptor'),
        require.resolve('./fixtures/header-recorder-interceptor'),
      ],
      logger: silent,
    });
  }, 120_000);

  const replay = (workflowType: string, input: unknown) =>
    Worker.runReplayHistory(
      {
        workflowBundle: bundle,
        sinks: {
          fixture: {
            report: {
              fn: (_info, kind: string, value: unknown) => void reports.push({ kind, value }),
              callDuringReplay: true,
            },
          },
        },
      },
      startedHistory(workflowType, input),
      `wf-${randomUUID()}`,
    );

  it('bundles every workflow module and the gate context interceptor', () => {
    expect(bundle.code).toContain('sandboxFixtureWorkflow');
    expect(bundle.code).toContain('somagent-gate-context');
  });

  it('runs every module inside the workflow VM', async () => {
    reports.length = 0;
    await replay('sandboxFixtureWorkflow', { capsule: 'fixture.capsule@^1', params: { x: 'hello' } });
    expect(reports).toEqual([
      {
        kind: 'summary',
        value:
          'somagent|status|1|1|10|0|0|true|starting|pii|call_model|true|completed|0|BudgetExceeded|hello',
      },
    ]);
  }, 60_000);

  it('attaches the gate context header to an activity scheduled in the VM', async () => {
    reports.length = 0;
    await replay('gateHeaderFixtureWorkflow', { tenant: 'acme', spentUsd: 0.5 });
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({
      kind: 'activity-header',
      value: {
        activityType: 'executeTool',
        context: {
          tenant: 'acme',
          budget: { spentUsd: 0.75, limitUsd: 1 },
          taint: ['pii'],
          persona: { id: 'analyst' },
        },
      },
    });
  }, 60_000);
});
