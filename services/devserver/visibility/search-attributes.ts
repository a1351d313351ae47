import { SearchAttributeError } from './errors';

/** Search-attribute value types (proto IndexedValueType without the prefix). */
export type SearchAttributeType = 'Text' | 'Keyword' | 'Int' | 'Double' | 'Bool' | 'Datetime' | 'KeywordList';

/** Every type, in proto enum order. */
export const SEARCH_ATTRIBUTE_TYPES: readonly SearchAttributeType[] = [
  'Text',
  'Keyword',
  'Int',
  'Double',
  'Bool',
  'Datetime',
  'KeywordList',
];

/** The proto enum name for a type, e.g. `Keyword` → `INDEXED_VALUE_TYPE_KEYWORD`. */
export type IndexedValueTypeName = `INDEXED_VALUE_TYPE_${string}`;

const ENUM_NAMES: Readonly<Record<SearchAttributeType, IndexedValueTypeName>> = {
  Text: 'INDEXED_VALUE_TYPE_TEXT',
  Keyword: 'INDEXED_VALUE_TYPE_KEYWORD',
  Int: 'INDEXED_VALUE_TYPE_INT',
  Double: 'INDEXED_VALUE_TYPE_DOUBLE',
  Bool: 'INDEXED_VALUE_TYPE_BOOL',
  Datetime: 'INDEXED_VALUE_TYPE_DATETIME',
  KeywordList: 'INDEXED_VALUE_TYPE_KEYWORD_LIST',
};

/** `Keyword` → `INDEXED_VALUE_TYPE_KEYWORD`. */
export function toIndexedValueType(type: SearchAttributeType): IndexedValueTypeName {
  return ENUM_NAMES[type];
}

/**
 * Accepts what clients send for a type: the enum name, the short name (any case) or the
 * proto enum number (1..7). Returns undefined for anything else (including UNSPECIFIED).
 */
export function parseSearchAttributeType(value: unknown): SearchAttributeType | undefined {
  if (typeof value === 'number') return SEARCH_ATTRIBUTE_TYPES[value - 1];
  if (typeof value !== 'string') return undefined;
  const short = value
    .replace(/^INDEXED_VALUE_TYPE_/i, '')
    .replace(/_/g, '')
    .toLowerCase();
  return SEARCH_ATTRIBUTE_TYPES.find((t) => t.toLowerCase() === short);
}

/**
 * System and predefined attributes (server `sadefs`). `ExecutionStatus` is a Keyword whose
 * values are status names; `ExecutionDuration` is an Int in nanoseconds (also accepts
 * duration strings like '1h30m' in queries).
 */
export const SYSTEM_SEARCH_ATTRIBUTES: Readonly<Record<string, SearchAttributeType>> = {
  WorkflowId: 'Keyword',
  RunId: 'Keyword',
  WorkflowType: 'Keyword',
  StartTime: 'Datetime',
  ExecutionTime: 'Datetime',
  CloseTime: 'Datetime',
  ExecutionStatus: 'Keyword',
  TaskQueue: 'Keyword',
  HistoryLength: 'Int',
  HistorySizeBytes: 'Int',
  ExecutionDuration: 'Int',
  StateTransitionCount: 'Int',
  ParentWorkflowId: 'Keyword',
  ParentRunId: 'Keyword',
  RootWorkflowId: 'Keyword',
  RootRunId: 'Keyword',
  TemporalChangeVersion: 'KeywordList',
  BinaryChecksums: 'KeywordList',
  BuildIds: 'KeywordList',
  BatcherUser: 'Keyword',
  TemporalScheduledStartTime: 'Datetime',
  TemporalScheduledById: 'Keyword',
  TemporalSchedulePaused: 'Bool',
  TemporalNamespaceDivision: 'Keyword',
  TemporalPauseInfo: 'KeywordList',
  TemporalWorkerDeploymentVersion: 'Keyword',
  TemporalWorkflowVersioningBehavior: 'Keyword',
  TemporalWorkerDeployment: 'Keyword',
};

/** The custom attributes `temporal server start-dev` pre-registers. */
export const DEV_SERVER_CUSTOM_SEARCH_ATTRIBUTES: Readonly<Record<string, SearchAttributeType>> = {
  CustomKeywordField: 'Keyword',
  CustomStringField: 'Text',
  CustomTextField: 'Text',
  CustomIntField: 'Int',
  CustomDoubleField: 'Double',
  CustomBoolField: 'Bool',
  CustomDatetimeField: 'Datetime',
};

/** Shape of OperatorService ListSearchAttributesResponse (enum names as values). */
export interface ListSearchAttributesResult {
  customAttributes: Record<string, IndexedValueTypeName>;
  systemAttributes: Record<string, IndexedValueTypeName>;
  storageSchema: Record<string, string>;
}

/** Read side of a registry: enough for the query compiler. */
export interface SearchAttributeLookup {
  /** The attribute's type, or undefined when it is not registered. */
  typeOf(name: string): SearchAttributeType | undefined;
}

/** Per-namespace search-attribute registry (system + custom). */
export interface SearchAttributeRegistry extends SearchAttributeLookup {
  /**
   * AddSearchAttributes: registers custom attributes. Re-adding with the same type is a no-op;
   * a different type, a system name or a bad name throws SearchAttributeError.
   */
  add(attributes: Readonly<Record<string, SearchAttributeType>>): void;
  /** RemoveSearchAttributes: removes custom attributes; unknown or system names throw. */
  remove(names: readonly string[]): void;
  /**
   * Registers an attribute seen on an upsert/start if unknown (DEVSERVER.md §8.3: never fail a
   * workflow task over an unknown key). Returns the registered type.
   */
  ensure(name: string, type: SearchAttributeType): SearchAttributeType;
  /** ListSearchAttributes response. */
  list(): ListSearchAttributesResult;
  isSystem(name: string): boolean;
}

/** Upper bound on custom attributes, so a runaway client cannot grow the map without limit. */
export const MAX_CUSTOM_SEARCH_ATTRIBUTES = 1000;
const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;

/** Creates a registry holding the system attributes plus `custom` (e.g. the dev-server set). */
export function createSearchAttributeRegistry(
  options: { custom?: Readonly<Record<string, SearchAttributeType>> } = {},
): SearchAttributeRegistry {
  const custom = new Map<string, SearchAttributeType>();

  const validateNew = (name: string, type: SearchAttributeType): void => {
    if (!NAME_PATTERN.test(name)) {
      throw new SearchAttributeError(
        `Search attribute name '${name}' is invalid: use letters, digits and '_' (not starting with a digit), at most 255 characters`,
        name,
      );
    }
    if (Object.hasOwn(SYSTEM_SEARCH_ATTRIBUTES, name)) {
      throw new SearchAttributeError(
        `Search attribute '${name}' is a system attribute and cannot be redefined`,
        name,
      );
    }
    if (!SEARCH_ATTRIBUTE_TYPES.includes(type)) {
      throw new SearchAttributeError(
        `Search attribute '${name}' has an unknown type '${String(type)}'; use one of ${SEARCH_ATTRIBUTE_TYPES.join(', ')}`,
        name,
      );
    }
    const existing = custom.get(name);
    if (existing !== undefined && existing !== type) {
      throw new SearchAttributeError(
        `Search attribute '${name}' already exists with type ${existing}; it cannot be changed to ${type}`,
        name,
      );
    }
    if (existing === undefined && custom.size >= MAX_CUSTOM_SEARCH_ATTRIBUTES) {
      throw new SearchAttributeError(
        `Cannot add search attribute '${name}': the limit of ${MAX_CUSTOM_SEARCH_ATTRIBUTES} custom attributes is reached`,
        name,
      );
    }
  };

  const registry: SearchAttributeRegistry = {
    typeOf: (name) => SYSTEM_SEARCH_ATTRIBUTES[name] ?? custom.get(name),
    isSystem: (name) => Object.hasOwn(SYSTEM_SEARCH_ATTRIBUTES, name),
    add(attributes) {
      const entries = Object.entries(attributes);
      // Validate everything first so a bad entry leaves the registry unchanged.
      for (const [name, type] of entries) validateNew(name, type);
      for (const [name, type] of entries) custom.set(name, type);
    },
    remove(names) {
      for (const name of names) {
        if (!custom.has(name)) {
          throw new SearchAttributeError(
            Object.hasOwn(SYSTEM_SEARCH_ATTRIBUTES, name)
              ? `Search attribute '${name}' is a system attribute and cannot be removed`
              : `Search attribute '${name}' does not exist`,
            name,
          );
        }
      }
      for (const name of names) custom.delete(name);
    },
    ensure(name, type) {
      const known = registry.typeOf(name);
      if (known !== undefined) return known;
      validateNew(name, type);
      custom.set(name, type);
      return type;
    },
    list() {
      const customAttributes: Record<string, IndexedValueTypeName> = {};
      for (const [name, type] of [...custom].sort(([a], [b]) => a.localeCompare(b))) {
        customAttributes[name] = toIndexedValueType(type);
      }
      const systemAttributes: Record<string, IndexedValueTypeName> = {};
      for (const [name, type] of Object.entries(SYSTEM_SEARCH_ATTRIBUTES)) {
        systemAttributes[name] = toIndexedValueType(type);
      }
      return { customAttributes, systemAttributes, storageSchema: {} };
    },
  };
  if (options.custom) registry.add(options.custom);
  return registry;
}
