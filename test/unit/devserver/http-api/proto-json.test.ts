import { InvalidArgumentError } from '../../../../services/devserver/errors';
import { requestFromJson, responseToJson } from '../../../../services/devserver/http-api/proto-json';
import {
  durationFromJson,
  durationToJson,
  timestampFromJson,
  timestampToJson,
} from '../../../../services/devserver/http-api/well-known-json';
import { messageType, packAny } from '../../../../services/devserver/proto';

const HistoryEvent = messageType('temporal.api.history.v1.HistoryEvent');
const StartRequest = messageType('temporal.api.workflowservice.v1.StartWorkflowExecutionRequest');
const HistoryRequest = messageType('temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryRequest');
const Status = messageType('google.rpc.Status');

const jsonPlain = { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('{"a":1}') };

describe('well-known JSON forms', () => {
  it('Timestamp ↔ RFC 3339 with 0/3/6/9 fraction digits like Go', () => {
    expect(timestampToJson({ seconds: 1_700_000_000, nanos: 0 })).toBe('2023-11-14T22:13:20Z');
    expect(timestampToJson({ seconds: '1700000000', nanos: 5_000_000 })).toBe('2023-11-14T22:13:20.005Z');
    expect(timestampToJson({ seconds: 1_700_000_000, nanos: 123_456_000 })).toBe(
      '2023-11-14T22:13:20.123456Z',
    );
    expect(timestampToJson({ seconds: 1_700_000_000, nanos: 1 })).toBe('2023-11-14T22:13:20.000000001Z');
    expect(timestampFromJson('2023-11-14T22:13:20.000000001Z', 't')).toEqual({
      seconds: 1_700_000_000,
      nanos: 1,
    });
    expect(timestampFromJson('2023-11-15T00:13:20.5+02:00', 't')).toEqual({
      seconds: 1_700_000_000,
      nanos: 500_000_000,
    });
    expect(() => timestampFromJson('yesterday', 'startTime')).toThrow(
      /startTime: invalid google.protobuf.Timestamp/,
    );
  });

  it('Duration ↔ "Ns"', () => {
    expect(durationToJson({ seconds: 90, nanos: 500_000_000 })).toBe('90.500s');
    expect(durationToJson({ seconds: 0, nanos: -250_000_000 })).toBe('-0.250s');
    expect(durationToJson({ seconds: '9223372036854775807', nanos: 0 })).toBe('9223372036854775807s');
    expect(durationFromJson('1.5s', 'd')).toEqual({ seconds: '1', nanos: 500_000_000 });
    expect(durationFromJson('-0.25s', 'd')).toEqual({ seconds: '0', nanos: -250_000_000 });
    expect(() => durationFromJson('10m', 'timeout')).toThrow(InvalidArgumentError);
  });
});

describe('response → proto3 JSON', () => {
  it('writes Temporal conventions: names, enums, int64 strings, bytes, times, defaults omitted', () => {
    const json = responseToJson(HistoryEvent, {
      eventId: 1,
      eventTime: { seconds: 1_700_000_000, nanos: 123_456_789 },
      eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED',
      version: 0,
      taskId: 0,
      workerMayIgnore: false,
      workflowExecutionStartedEventAttributes: {
        workflowType: { name: 'wf' },
        taskQueue: { name: 'q', kind: 'TASK_QUEUE_KIND_UNSPECIFIED' },
        input: { payloads: [jsonPlain] },
        workflowRunTimeout: { seconds: 1, nanos: 500_000_000 },
        attempt: 1,
        identity: '',
        header: { fields: {} },
      },
    });
    expect(json).toEqual({
      eventId: '1',
      eventTime: '2023-11-14T22:13:20.123456789Z',
      eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED',
      workflowExecutionStartedEventAttributes: {
        workflowType: { name: 'wf' },
        taskQueue: { name: 'q' },
        input: { payloads: [{ metadata: { encoding: 'anNvbi9wbGFpbg==' }, data: 'eyJhIjoxfQ==' }] },
        workflowRunTimeout: '1.500s',
        attempt: 1,
        header: {},
      },
    });
  });

  it('keeps int64 beyond 2^53 exact', () => {
    const json = responseToJson(HistoryEvent, {
      eventId: '9007199254740993',
      taskId: '18446744073709551615',
    });
    expect(json.eventId).toBe('9007199254740993');
    // taskId is int64: the unsigned max wraps to -1 exactly as Go prints it.
    expect(json.taskId).toBe('-1');
  });

  it('writes Any details with @type (google.rpc.Status)', () => {
    const json = responseToJson(Status, {
      code: 5,
      message: 'Namespace x is not found.',
      details: [packAny('temporal.api.errordetails.v1.NamespaceNotFoundFailure', { namespace: 'x' })],
    });
    expect(json).toEqual({
      code: 5,
      message: 'Namespace x is not found.',
      details: [
        {
          '@type': 'type.googleapis.com/temporal.api.errordetails.v1.NamespaceNotFoundFailure',
          namespace: 'x',
        },
      ],
    });
  });

  it('writes maps as objects and repeated fields only when non-empty', () => {
    const ListSA = messageType('temporal.api.operatorservice.v1.ListSearchAttributesResponse');
    const json = responseToJson(ListSA, {
      customAttributes: { Tag: 'INDEXED_VALUE_TYPE_KEYWORD' },
      systemAttributes: {},
    });
    expect(json).toEqual({ customAttributes: { Tag: 'INDEXED_VALUE_TYPE_KEYWORD' } });
  });
});

describe('request JSON → engine message', () => {
  it('takes camelCase or snake_case names, enums as names, numbers or short forms, durations', () => {
    const msg = requestFromJson(StartRequest, {
      namespace: 'default',
      workflow_id: 'a/b c',
      workflowType: { name: 'wf' },
      task_queue: { name: 'q', kind: 1 },
      input: { payloads: [{ metadata: { encoding: 'anNvbi9wbGFpbg==' }, data: 'eyJhIjoxfQ==' }] },
      workflowRunTimeout: '1.5s',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      workflowIdConflictPolicy: 'WORKFLOW_ID_CONFLICT_POLICY_FAIL',
      searchAttributes: null,
      userMetadata: { summary: null },
    });
    expect(msg).toEqual({
      namespace: 'default',
      workflowId: 'a/b c',
      workflowType: { name: 'wf' },
      taskQueue: { name: 'q', kind: 'TASK_QUEUE_KIND_NORMAL' },
      input: { payloads: [jsonPlain] },
      workflowRunTimeout: { seconds: 1, nanos: 500_000_000 },
      workflowIdReusePolicy: 'WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE',
      workflowIdConflictPolicy: 'WORKFLOW_ID_CONFLICT_POLICY_FAIL',
      userMetadata: {},
    });
  });

  it('takes int64 as strings or numbers, bytes as standard or URL-safe base64, Timestamps', () => {
    const msg = requestFromJson(HistoryRequest, {
      namespace: 'ns',
      execution: { workflowId: 'w', runId: 'r' },
      maximumPageSize: '20',
      nextPageToken: '-_8',
      waitNewEvent: true,
    });
    expect(msg).toMatchObject({ maximumPageSize: 20, waitNewEvent: true });
    expect(msg.nextPageToken).toEqual(Buffer.from([0xfb, 0xff]));
    const event = requestFromJson(HistoryEvent, {
      eventId: '42',
      taskId: 7,
      eventTime: '2023-11-14T22:13:20.5Z',
    });
    expect(event).toEqual({
      eventId: 42,
      taskId: 7,
      eventTime: { seconds: 1_700_000_000, nanos: 500_000_000 },
    });
  });

  it('round-trips Any with @type', () => {
    const msg = requestFromJson(Status, {
      code: 3,
      details: [
        {
          '@type': 'type.googleapis.com/temporal.api.errordetails.v1.NamespaceNotFoundFailure',
          namespace: 'n',
        },
      ],
    });
    expect(responseToJson(Status, msg)).toEqual({
      code: 3,
      details: [
        {
          '@type': 'type.googleapis.com/temporal.api.errordetails.v1.NamespaceNotFoundFailure',
          namespace: 'n',
        },
      ],
    });
  });

  it('refuses unknown fields, wrong types and unknown enum names, naming the field', () => {
    expect(() => requestFromJson(StartRequest, { params: {} })).toThrow(/params: unknown field "params"/);
    expect(() => requestFromJson(StartRequest, { taskQueue: { kind: 'SIDEWAYS' } })).toThrow(
      /taskQueue.kind: invalid value "SIDEWAYS" for enum temporal.api.enums.v1.TaskQueueKind/,
    );
    expect(() => requestFromJson(StartRequest, { workflowId: 5 })).toThrow(
      /workflowId: invalid value 5 for string/,
    );
    expect(() => requestFromJson(HistoryEvent, { eventId: '1.5' })).toThrow(/eventId/);
    expect(() => requestFromJson(HistoryRequest, { nextPageToken: 'not base64!' })).toThrow(/bytes/);
    expect(() => requestFromJson(StartRequest, [] as never)).toThrow(InvalidArgumentError);
  });
});
