import { status } from '@grpc/grpc-js';
import { commit, type EngineContext } from './context';
import { DevServerError, InvalidArgumentError, NotFoundError } from './errors';
import { persistSearchAttributes, searchAttributeRegistry } from './namespace-search-attributes';
import type { Msg } from './proto';
import type { Handler } from './service';
import type { NamespaceRecord } from './store';
import { parseSearchAttributeType, SearchAttributeError, type SearchAttributeType } from './visibility';

/** The namespace a search-attribute call is about; the SQL-visibility server requires it too. */
function requireNamespace(ctx: EngineContext, req: Msg): NamespaceRecord {
  if (typeof req.namespace !== 'string' || req.namespace === '') {
    throw new InvalidArgumentError('namespace is required: search attributes are registered per namespace');
  }
  return ctx.namespaces.require(req.namespace);
}

/** Registry errors (bad name, limit reached) are the caller's: INVALID_ARGUMENT. */
function invalidArgumentOnRegistryError(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if (err instanceof SearchAttributeError) throw new InvalidArgumentError(err.message);
    throw err;
  }
}

/**
 * `temporal.api.operatorservice.v1.OperatorService`: the search-attribute calls. Semantics follow
 * the real server's operator handler: re-adding an attribute with the type it already has is a
 * no-op (the CLI's `search-attribute create` and the SDKs' test servers rely on that), adding it
 * with another type is ALREADY_EXISTS, system names are reserved, removing an unknown attribute
 * is NOT_FOUND. Changes are persisted with the namespace record before the call answers.
 */
export function createOperatorServiceHandlers(ctx: EngineContext): Record<string, Handler> {
  return {
    AddSearchAttributes: async (req) => {
      const record = requireNamespace(ctx, req);
      const registry = searchAttributeRegistry(record);
      const requested = Object.entries((req.searchAttributes as Record<string, unknown> | undefined) ?? {});
      if (requested.length === 0) {
        throw new InvalidArgumentError('searchAttributes is empty: map at least one name to its type');
      }
      const toAdd: Record<string, SearchAttributeType> = {};
      for (const [name, rawType] of requested) {
        if (registry.isSystem(name)) {
          throw new InvalidArgumentError(`Search attribute ${name} is reserved by system.`);
        }
        const type = parseSearchAttributeType(rawType);
        if (!type) {
          throw new InvalidArgumentError(
            `Unknown search attribute type for ${name}: ${String(rawType)}. Use one of INDEXED_VALUE_TYPE_TEXT, _KEYWORD, _INT, _DOUBLE, _BOOL, _DATETIME, _KEYWORD_LIST.`,
          );
        }
        const existing = registry.typeOf(name);
        if (existing === type) continue;
        if (existing !== undefined) {
          throw new DevServerError(
            status.ALREADY_EXISTS,
            `Search attribute ${name} already exists with type ${existing}; remove it first to register it as ${type}.`,
          );
        }
        toAdd[name] = type;
      }
      if (Object.keys(toAdd).length === 0) return {};
      invalidArgumentOnRegistryError(() => registry.add(toAdd));
      persistSearchAttributes(ctx, record);
      await commit(ctx);
      return {};
    },

    RemoveSearchAttributes: async (req) => {
      const record = requireNamespace(ctx, req);
      const registry = searchAttributeRegistry(record);
      const names = (req.searchAttributes as string[] | undefined) ?? [];
      if (names.length === 0) {
        throw new InvalidArgumentError('searchAttributes is empty: name at least one attribute to remove');
      }
      for (const name of names) {
        if (registry.isSystem(name)) {
          throw new InvalidArgumentError(`Unable to remove non-custom search attributes: ${name}.`);
        }
        if (registry.typeOf(name) === undefined) {
          throw new NotFoundError(`Search attribute ${name} doesn't exist.`);
        }
      }
      invalidArgumentOnRegistryError(() => registry.remove(names));
      persistSearchAttributes(ctx, record);
      await commit(ctx);
      return {};
    },

    ListSearchAttributes: (req) => ({ ...searchAttributeRegistry(requireNamespace(ctx, req)).list() }),
  };
}
