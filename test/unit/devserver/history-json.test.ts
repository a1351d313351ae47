import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { historyFromJSON, historyToJSON, type History } from '@temporalio/common/lib/proto-utils';
import * as proto from '@temporalio/proto';
import { buildEvent } from '../../../services/devserver/history';
import { encodeMessage, messageType } from '../../../services/devserver/proto';
import { historySets, readManifest, runsDir } from '../../fixtures/histories/recorded-histories';

// The SDK's documented history export/import (`historyToJSON`/`historyFromJSON` of
// @temporalio/common) on histories the devserver produced. They only work while
// @temporalio/common and @temporalio/proto share one protobufjs copy (package.json lists
// protobufjs so npm hoists the 8.x the SDK wants); a dependency change that splits the copies
// again makes every test here throw "type must be a Type".

const HistoryMessage = proto.temporal.api.history.v1.History;

/** The protobufjs file a package loads (what decides whether reflected types are shared). */
function protobufjsOf(pkg: string): string {
  return createRequire(require.resolve(pkg)).resolve('protobufjs');
}

describe('historyToJSON / historyFromJSON on devserver histories', () => {
  it('@temporalio/common, proto and worker load one protobufjs copy', () => {
    const common = protobufjsOf('@temporalio/common');
    expect({
      proto: protobufjsOf('@temporalio/proto'),
      worker: protobufjsOf('@temporalio/worker'),
    }).toEqual({ proto: common, worker: common });
  });

  it('round-trips a history encoded by the devserver and decoded as the client does', () => {
    const started = 1_790_000_000_123;
    const wire = encodeMessage(messageType('temporal.api.history.v1.History'), {
      events: [
        buildEvent(
          1,
          'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED',
          {
            workflowType: { name: 'personaWorkflow' },
            taskQueue: { name: 'q', kind: 'TASK_QUEUE_KIND_NORMAL' },
            input: {
              payloads: [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"hi"') }],
            },
            workflowRunTimeout: { seconds: 90, nanos: 0 },
            attempt: 1,
          },
          started,
        ),
        buildEvent(
          2,
          'EVENT_TYPE_TIMER_STARTED',
          { timerId: '1', startToFireTimeout: { seconds: 5 } },
          started + 1,
        ),
        buildEvent(3, 'EVENT_TYPE_TIMER_FIRED', { timerId: '1', startedEventId: 2 }, started + 5_001),
      ],
    });
    const history: History = HistoryMessage.decode(wire);

    const json = JSON.parse(historyToJSON(history)) as { events: Array<Record<string, unknown>> };
    // The standard proto-JSON form other Temporal tools read.
    expect(json.events[0]).toMatchObject({
      eventId: '1',
      eventTime: '2026-09-21T14:13:20.123Z',
      eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED',
      workflowExecutionStartedEventAttributes: {
        taskQueue: { name: 'q', kind: 'TASK_QUEUE_KIND_NORMAL' },
        input: { payloads: [{ metadata: { encoding: 'anNvbi9wbGFpbg==' }, data: 'ImhpIg==' }] },
        workflowRunTimeout: '90s',
      },
    });

    const back = historyFromJSON(json);
    expect(Buffer.from(HistoryMessage.encode(back).finish())).toEqual(wire);
  });

  it('round-trips every stored recorded history to the identical file', () => {
    const runs = historySets().flatMap((set) => readManifest(set).runs.map((run) => ({ ...run, set })));
    expect(runs.length).toBeGreaterThan(0);
    for (const run of runs) {
      const text = readFileSync(path.join(runsDir(run.set), run.file), 'utf8');
      const history = historyFromJSON(JSON.parse(text));
      expect(history.events?.length).toBeGreaterThan(0);
      const again = historyFromJSON(JSON.parse(historyToJSON(history)));
      expect({ file: run.file, wire: HistoryMessage.encode(again).finish() }).toEqual({
        file: run.file,
        wire: HistoryMessage.encode(history).finish(),
      });
      // The recorder's file format: historyToJSON's document, one-space indented.
      const rewritten = `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 1)}\n`;
      expect({ file: run.file, same: rewritten === text }).toEqual({ file: run.file, same: true });
    }
  });
});
