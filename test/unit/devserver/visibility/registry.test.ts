import {
  createSearchAttributeRegistry,
  decodeSearchAttributePayload,
  encodeSearchAttributePayload,
  executionStatusName,
  parseSearchAttributeType,
  SearchAttributeError,
} from '../../../../services/devserver/visibility';

describe('search-attribute registry', () => {
  it('lists system and custom attributes as IndexedValueType names', () => {
    const registry = createSearchAttributeRegistry({ custom: { CustomerId: 'Keyword' } });
    registry.add({ Score: 'Double', Labels: 'KeywordList' });
    const listed = registry.list();
    expect(listed.customAttributes).toEqual({
      CustomerId: 'INDEXED_VALUE_TYPE_KEYWORD',
      Labels: 'INDEXED_VALUE_TYPE_KEYWORD_LIST',
      Score: 'INDEXED_VALUE_TYPE_DOUBLE',
    });
    expect(listed.systemAttributes.StartTime).toBe('INDEXED_VALUE_TYPE_DATETIME');
    expect(listed.systemAttributes.TemporalScheduledById).toBe('INDEXED_VALUE_TYPE_KEYWORD');
    expect(listed.systemAttributes.CustomerId).toBeUndefined();
  });

  it('accepts re-adding with the same type but not a different one, atomically', () => {
    const registry = createSearchAttributeRegistry();
    registry.add({ Score: 'Int' });
    registry.add({ Score: 'Int' });
    expect(() => registry.add({ Other: 'Keyword', Score: 'Double' })).toThrow(
      /'Score' already exists with type Int; it cannot be changed to Double/,
    );
    expect(registry.typeOf('Other')).toBeUndefined();
  });

  it('rejects system names, bad names and unknown types, naming the attribute', () => {
    const registry = createSearchAttributeRegistry();
    const attempt = (attrs: Record<string, never>): SearchAttributeError => {
      try {
        registry.add(attrs);
      } catch (error) {
        if (error instanceof SearchAttributeError) return error;
        throw error;
      }
      throw new Error('expected failure');
    };
    expect(attempt({ WorkflowId: 'Keyword' as never }).message).toMatch(
      /system attribute and cannot be redefined/,
    );
    expect(attempt({ '9lives': 'Keyword' as never }).attribute).toBe('9lives');
    expect(attempt({ Fine: 'Float' as never }).message).toMatch(/unknown type 'Float'/);
  });

  it('removes custom attributes only', () => {
    const registry = createSearchAttributeRegistry({ custom: { A: 'Bool' } });
    expect(() => registry.remove(['RunId'])).toThrow(/system attribute and cannot be removed/);
    expect(() => registry.remove(['Ghost'])).toThrow(/'Ghost' does not exist/);
    registry.remove(['A']);
    expect(registry.typeOf('A')).toBeUndefined();
  });

  it('ensure() auto-registers unknown attributes and keeps known types', () => {
    const registry = createSearchAttributeRegistry();
    expect(registry.ensure('TemporalChangeVersion', 'Keyword')).toBe('KeywordList');
    expect(registry.ensure('Fresh', 'Int')).toBe('Int');
    expect(registry.ensure('Fresh', 'Text')).toBe('Int');
  });

  it.each([
    ['INDEXED_VALUE_TYPE_KEYWORD_LIST', 'KeywordList'],
    ['keyword', 'Keyword'],
    [2, 'Keyword'],
    [6, 'Datetime'],
    [0, undefined],
    ['INDEXED_VALUE_TYPE_UNSPECIFIED', undefined],
  ])('parseSearchAttributeType(%j) = %j', (input, expected) => {
    expect(parseSearchAttributeType(input)).toBe(expected);
  });
});

describe('search-attribute payloads', () => {
  it('round-trips typed json/plain payloads', () => {
    const payload = encodeSearchAttributePayload(['a', 'b'], 'KeywordList');
    expect(new TextDecoder().decode(payload.metadata.type)).toBe('KeywordList');
    expect(decodeSearchAttributePayload(payload)).toEqual({ value: ['a', 'b'], type: 'KeywordList' });
  });

  it('reports missing types and undecodable data without throwing', () => {
    const enc = new TextEncoder();
    expect(
      decodeSearchAttributePayload({
        metadata: { encoding: enc.encode('json/plain') },
        data: enc.encode('42'),
      }),
    ).toEqual({
      value: 42,
      type: undefined,
    });
    expect(
      decodeSearchAttributePayload({
        metadata: { encoding: enc.encode('json/plain'), type: enc.encode('Int') },
        data: enc.encode('{'),
      }),
    ).toEqual({ value: undefined, type: 'Int' });
    expect(decodeSearchAttributePayload({ metadata: { encoding: enc.encode('binary/null') } })).toEqual({
      value: undefined,
      type: undefined,
    });
  });
});

describe('executionStatusName', () => {
  it.each<[number | string, string | undefined]>([
    [1, 'Running'],
    [6, 'ContinuedAsNew'],
    [7, 'TimedOut'],
    [0, undefined],
    ['WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW', 'ContinuedAsNew'],
    ['timedout', 'TimedOut'],
    ['WORKFLOW_EXECUTION_STATUS_UNSPECIFIED', undefined],
  ])('%j → %j', (input, expected) => {
    expect(executionStatusName(input)).toBe(expected);
  });
});
