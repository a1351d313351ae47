import type { EngineContext } from '../../../services/devserver/context';
import { createEngine, DEFAULT_ENGINE_OPTIONS, stopEngine } from '../../../services/devserver/engine';
import { createMemoryStore } from '../../../services/devserver/memory-store';
import {
  indexSearchAttributes,
  searchAttributeRegistry,
  typedSearchAttributeFields,
} from '../../../services/devserver/namespace-search-attributes';
import { POLLER_TTL_MS, recentPollers, recordPoll } from '../../../services/devserver/task-queue-pollers';
import { encodeSearchAttributePayload } from '../../../services/devserver/visibility';
import { createLogger } from '../../../services/logger';

let ctx: EngineContext;

beforeEach(async () => {
  ctx = await createEngine({
    store: createMemoryStore(),
    logger: createLogger({ level: 'silent' }),
    options: DEFAULT_ENGINE_OPTIONS,
  });
  ctx.dirtyNamespaces = [];
});
afterEach(() => stopEngine(ctx));

const json = (value: unknown) => ({
  metadata: { encoding: Buffer.from('json/plain') },
  data: Buffer.from(JSON.stringify(value)),
});

describe('indexSearchAttributes', () => {
  it('registers unknown keys with the payload type, or a type guessed from an untyped value', () => {
    indexSearchAttributes(ctx, 'default', {
      Typed: encodeSearchAttributePayload('2026-01-01T00:00:00Z', 'Datetime'),
      LegacyInt: json([42]),
      LegacyRatio: json([0.5]),
      LegacyFlag: json(true),
      LegacyWord: json(['x']),
      Removed: json(null),
    });
    const registry = searchAttributeRegistry(ctx.namespaces.require('default'));
    expect(registry.typeOf('Typed')).toBe('Datetime');
    expect(registry.typeOf('LegacyInt')).toBe('Int');
    expect(registry.typeOf('LegacyRatio')).toBe('Double');
    expect(registry.typeOf('LegacyFlag')).toBe('Bool');
    expect(registry.typeOf('LegacyWord')).toBe('Keyword');
    // A null payload removes a value: nothing to index.
    expect(registry.typeOf('Removed')).toBeUndefined();
    // The namespace record carries the new set and is handed to the next commit.
    const record = ctx.namespaces.require('default');
    expect(record.customSearchAttributes).toMatchObject({ Typed: 'Datetime', LegacyInt: 'Int' });
    expect(ctx.dirtyNamespaces).toContain(record);
  });

  it('never throws for a key the registry refuses, and keeps known types', () => {
    expect(() =>
      indexSearchAttributes(ctx, 'default', {
        'not a valid name': json(['x']),
        CustomIntField: encodeSearchAttributePayload('text', 'Keyword'),
      }),
    ).not.toThrow();
    const registry = searchAttributeRegistry(ctx.namespaces.require('default'));
    expect(registry.typeOf('not a valid name')).toBeUndefined();
    expect(registry.typeOf('CustomIntField')).toBe('Int');
    expect(ctx.dirtyNamespaces).toEqual([]);
  });
});

describe('typedSearchAttributeFields', () => {
  it('adds metadata.type from the registry only where the payload lacks it', () => {
    const registry = searchAttributeRegistry(ctx.namespaces.require('default'));
    const untyped = json([7]);
    const typed = encodeSearchAttributePayload('a', 'Keyword');
    const out = typedSearchAttributeFields(registry, {
      CustomIntField: untyped,
      CustomKeywordField: typed,
      Nobody: untyped,
    });
    const intField = out?.CustomIntField as { metadata: Record<string, Uint8Array>; data: Buffer };
    expect(Buffer.from(intField.metadata.type!).toString()).toBe('Int');
    expect(intField.data).toBe(untyped.data);
    expect(out?.CustomKeywordField).toBe(typed);
    expect(out?.Nobody).toBe(untyped);
  });
});

describe('task-queue pollers', () => {
  it('reports pollers seen within the TTL, most recent first, and forgets older ones', () => {
    recordPoll(ctx, 'workflow', 'default', 'q', 'worker-a');
    recordPoll(ctx, 'workflow', 'default', 'q', 'worker-b');
    recordPoll(ctx, 'activity', 'default', 'q', 'worker-c');
    const now = Date.now();
    expect(
      recentPollers(ctx, 'workflow', 'default', 'q', now)
        .map((p) => p.identity)
        .sort(),
    ).toEqual(['worker-a', 'worker-b']);
    expect(recentPollers(ctx, 'activity', 'default', 'q', now).map((p) => p.identity)).toEqual(['worker-c']);
    expect(recentPollers(ctx, 'workflow', 'default', 'q', now + POLLER_TTL_MS + 1)).toEqual([]);
    expect(recentPollers(ctx, 'workflow', 'default', 'q', now)).toEqual([]);
  });
});
