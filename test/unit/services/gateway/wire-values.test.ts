import fc from 'fast-check';
import { listQuery } from '../../../../services/gateway/list-runs';
import { fromProtoStruct, toProtoStruct } from '../../../../services/gateway/struct';
import { decodeCursor, encodeCursor } from '../../../../services/gateway/watch-cursor';
import { GatewayError } from '../../../../services/gateway/gateway-error';
import { parseGatewayParams } from '../../../../services/cli/gateway-run-command';
import type { JsonValue } from '../../../../workflows/shared/types';

describe('Struct conversion', () => {
  it('round-trips any JSON object', () => {
    const json = fc
      .jsonValue({ noUnicodeString: false })
      .map((v) => JSON.parse(JSON.stringify(v)) as JsonValue);
    fc.assert(
      fc.property(fc.dictionary(fc.string(), json), (object) => {
        expect(fromProtoStruct(toProtoStruct(object))).toEqual(object);
      }),
    );
  });
});

describe('watch cursor', () => {
  it('decodes what it encodes, and "" is the start', () => {
    expect(decodeCursor(encodeCursor({ event: 12, decision: 3400 }))).toEqual({ event: 12, decision: 3400 });
    expect(decodeCursor('')).toEqual({ event: 0, decision: 0 });
  });

  it.each(['12.3', 'v2.1.1', 'v1.-1.0', 'v1.1', 'v1.1.1.1', "v1.1.1' OR 1=1"])(
    'refuses %p naming the field',
    (text) => {
      expect(() => decodeCursor(text)).toThrow(GatewayError);
      try {
        decodeCursor(text);
      } catch (err) {
        expect((err as GatewayError).trailers['somagent-field']).toBe('cursor');
      }
    },
  );
});

describe('listQuery', () => {
  it("always scopes to the caller's tenant and capsule runs", () => {
    expect(listQuery('acme', { capsuleId: '', status: 'CAPSULE_RUN_STATUS_UNSPECIFIED', trigger: '' })).toBe(
      "WorkflowType = 'capsuleWorkflow' AND SomagentTenant = 'acme'",
    );
    expect(
      listQuery('acme', {
        capsuleId: 'meetings.transcript-summary',
        status: 'CAPSULE_RUN_STATUS_FAILED',
        trigger: 'schedule',
      }),
    ).toBe(
      "WorkflowType = 'capsuleWorkflow' AND SomagentTenant = 'acme' AND SomagentCapsuleId = 'meetings.transcript-summary'" +
        " AND ExecutionStatus = 'Failed' AND SomagentTrigger = 'schedule'",
    );
  });

  it('refuses filter values that could change the query', () => {
    expect(() =>
      listQuery('acme', { capsuleId: "x' OR SomagentTenant = 'globex", status: '', trigger: '' }),
    ).toThrow(/capsule_id/);
    expect(() => listQuery('acme', { capsuleId: '', status: '', trigger: "api' OR 'a'='a" })).toThrow(
      /trigger .* is not one of manual, schedule, event, api/,
    );
  });
});

describe('somagent run --param', () => {
  it('types JSON-looking values, keeps the rest strings, and := is always JSON', () => {
    expect(
      parseGatewayParams(['n=5', 'ok=true', 'tags=["a","b"]', 'title=Board 2026', 'code:="007"', 'zip=007']),
    ).toEqual({ n: 5, ok: true, tags: ['a', 'b'], title: 'Board 2026', code: '007', zip: '007' });
  });

  it('names the flag and the problem for malformed input', () => {
    expect(() => parseGatewayParams([], '{"title": ')).toThrow(/--params-json is not JSON/);
    expect(() => parseGatewayParams([], '[1]')).toThrow(/must be a JSON object/);
    expect(() => parseGatewayParams(['n:={oops'])).toThrow(
      /--param n:=\{oops: the value after := is not JSON/,
    );
    expect(() => parseGatewayParams(['novalue'])).toThrow(/expected name=value/);
  });
});
