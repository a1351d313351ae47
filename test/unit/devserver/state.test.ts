import fc from 'fast-check';
import {
  attributesFieldFor,
  buildEvent,
  eventAttributes,
  isCloseEvent,
} from '../../../services/devserver/history';
import { deserializeRunState, serializeRunState, type RunState } from '../../../services/devserver/state';
import { decodeTaskToken, encodeTaskToken } from '../../../services/devserver/task-token';
import { msToTimestamp, protoTimeToMs } from '../../../services/devserver/time';

describe('history events', () => {
  it('derives the attributes field from the event type', () => {
    expect(attributesFieldFor('EVENT_TYPE_WORKFLOW_TASK_SCHEDULED')).toBe(
      'workflowTaskScheduledEventAttributes',
    );
    expect(attributesFieldFor('EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT')).toBe(
      'activityTaskTimedOutEventAttributes',
    );
  });

  it('builds an event with id, time, type and exactly one attributes field', () => {
    const event = buildEvent(7, 'EVENT_TYPE_TIMER_FIRED', { timerId: 't', startedEventId: 5 }, 1_500);
    expect(event).toEqual({
      eventId: 7,
      eventTime: { seconds: 1, nanos: 500_000_000 },
      eventType: 'EVENT_TYPE_TIMER_FIRED',
      timerFiredEventAttributes: { timerId: 't', startedEventId: 5 },
    });
    expect(eventAttributes(event)).toEqual({ timerId: 't', startedEventId: 5 });
  });

  it('knows the close events', () => {
    expect(isCloseEvent('EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED')).toBe(true);
    expect(isCloseEvent('EVENT_TYPE_WORKFLOW_TASK_COMPLETED')).toBe(false);
  });
});

describe('time conversion', () => {
  it('round-trips milliseconds through Timestamp', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4_000_000_000_000 }),
        (ms) => protoTimeToMs(msToTimestamp(ms)) === ms,
      ),
    );
  });

  it('reads int64 seconds given as strings and treats absence as zero', () => {
    expect(protoTimeToMs({ seconds: '2', nanos: 3_000_000 })).toBe(2003);
    expect(protoTimeToMs(undefined)).toBe(0);
  });
});

describe('run state serialization', () => {
  it('keeps payload bytes intact deep inside the state', () => {
    const payload = { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from([0, 1, 2, 255]) };
    const state = {
      runId: 'r',
      activities: { '5': { heartbeatDetails: { payloads: [payload] } } },
      buffered: [{ attributes: { input: { payloads: [payload] } } }],
    } as unknown as RunState;
    const back = deserializeRunState(serializeRunState(state));
    expect(back).toEqual(state);
    const restored = (
      back as unknown as {
        activities: Record<string, { heartbeatDetails: { payloads: { data: unknown }[] } }>;
      }
    ).activities['5']!.heartbeatDetails.payloads[0]!.data;
    expect(Buffer.isBuffer(restored)).toBe(true);
  });

  it('stores only the viewed bytes of a Uint8Array that is a window on a larger buffer', () => {
    const backing = new Uint8Array([9, 9, 1, 2, 3, 9]);
    const state = { runId: 'r', memo: { k: { data: backing.subarray(2, 5) } } } as unknown as RunState;
    const back = deserializeRunState(serializeRunState(state)) as unknown as {
      memo: { k: { data: Buffer } };
    };
    expect(back.memo.k.data).toEqual(Buffer.from([1, 2, 3]));
  });
});

describe('task tokens', () => {
  it('round-trips and rejects tokens of another kind or malformed bytes with INVALID_ARGUMENT', () => {
    const token = encodeTaskToken({ k: 'a', ns: 'default', r: 'run', s: 5, a: 2 });
    expect(decodeTaskToken(token, 'a')).toEqual({ k: 'a', ns: 'default', r: 'run', s: 5, a: 2 });
    expect(() => decodeTaskToken(token, 'w')).toThrow(/taskToken is malformed/);
    expect(() => decodeTaskToken(Buffer.from('{nope'), 'a')).toThrow(/taskToken is malformed/);
    expect(() => decodeTaskToken(Buffer.alloc(0), 'a')).toThrow(/taskToken is required/);
  });
});
