import type { EngineContext } from './context';
import type { Msg } from './proto';
import type { NamespaceRecord } from './store';
import {
  createSearchAttributeRegistry,
  decodeSearchAttributePayload,
  DEV_SERVER_CUSTOM_SEARCH_ATTRIBUTES,
  parseSearchAttributeType,
  SearchAttributeError,
  type SearchAttributeRegistry,
  type SearchAttributeType,
} from './visibility';

/**
 * One search-attribute registry per namespace record, built on first use from the custom
 * attributes the record persists (`customSearchAttributes`), or the set `temporal server
 * start-dev` pre-registers for a namespace that never changed its attributes.
 */
const registries = new WeakMap<NamespaceRecord, SearchAttributeRegistry>();

/** The namespace's registry (system + custom attributes). */
export function searchAttributeRegistry(record: NamespaceRecord): SearchAttributeRegistry {
  let registry = registries.get(record);
  if (!registry) {
    registry = createSearchAttributeRegistry({
      custom: record.customSearchAttributes ?? DEV_SERVER_CUSTOM_SEARCH_ATTRIBUTES,
    });
    registries.set(record, registry);
  }
  return registry;
}

/**
 * Copies the registry's custom attributes into the namespace record and marks it changed, so the
 * current transaction persists them with the namespace (PostgreSQL keeps the record as JSON).
 */
export function persistSearchAttributes(ctx: EngineContext, record: NamespaceRecord): void {
  const custom: Record<string, SearchAttributeType> = {};
  for (const [name, type] of Object.entries(searchAttributeRegistry(record).list().customAttributes)) {
    const short = parseSearchAttributeType(type);
    if (short) custom[name] = short;
  }
  record.customSearchAttributes = custom;
  ctx.dirtyNamespaces.push(record);
}

/**
 * Registers the unknown keys of a start request's or an upsert's search attributes (type from
 * the payload's `metadata.type`, else guessed from the JSON value). Never throws: a key the
 * registry refuses (bad name, limit reached) is logged and stays unindexed, because failing the
 * workflow task over it would stall the workflow (DEVSERVER.md §8.3, §11.27).
 */
export function indexSearchAttributes(
  ctx: EngineContext,
  namespace: string,
  fields: Msg | null | undefined,
): void {
  if (!fields) return;
  const record = ctx.namespaces.require(namespace);
  const registry = searchAttributeRegistry(record);
  let added = false;
  for (const [name, payload] of Object.entries(fields)) {
    if (registry.typeOf(name) !== undefined || !payload) continue;
    const decoded = decodeSearchAttributePayload(payload);
    if (decoded.value === undefined || decoded.value === null) continue; // a removal
    try {
      registry.ensure(name, decoded.type ?? guessType(decoded.value));
      added = true;
    } catch (err) {
      if (!(err instanceof SearchAttributeError)) throw err;
      ctx.logger.warn(
        { namespace, attribute: name, reason: err.message },
        'devserver: search attribute not indexed',
      );
    }
  }
  if (added) persistSearchAttributes(ctx, record);
}

/** Type of an untyped (legacy, array-wrapped) value: Keyword unless it is clearly a number/bool. */
function guessType(value: unknown): SearchAttributeType {
  const first: unknown = Array.isArray(value) ? value[0] : value;
  if (typeof first === 'boolean') return 'Bool';
  if (typeof first === 'number') return Number.isInteger(first) ? 'Int' : 'Double';
  return 'Keyword';
}

const encoder = new TextEncoder();

/**
 * Search-attribute payloads to return: stored payloads verbatim, plus `metadata.type` from the
 * registry where the payload lacks it — without it the client's `typedSearchAttributes` skips
 * the attribute (DEVSERVER.md §8.3).
 */
export function typedSearchAttributeFields(
  registry: SearchAttributeRegistry,
  fields: Msg | null | undefined,
): Msg | undefined {
  if (!fields) return undefined;
  const typed: Msg = {};
  for (const [name, payload] of Object.entries(fields)) {
    const p = payload as { metadata?: Record<string, Uint8Array> | null; data?: Uint8Array } | null;
    const type = registry.typeOf(name);
    typed[name] =
      p && !p.metadata?.type && type
        ? { ...p, metadata: { ...(p.metadata ?? {}), type: encoder.encode(type) } }
        : payload;
  }
  return typed;
}
