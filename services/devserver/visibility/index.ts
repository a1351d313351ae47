export type { AttributeRef, ComparisonOperator, Expr, Literal, OrderTerm, QueryAst } from './ast';
export {
  compileAst,
  compileFilter,
  DEFAULT_ORDER,
  type CompiledFilter,
  type CompiledOrder,
  type CompileOptions,
  type SortKeyPart,
} from './compile-filter';
export { countRecords, type CountResult } from './count';
export {
  decodeSearchAttributePayload,
  encodeSearchAttributePayload,
  keywordPayload,
  type SearchAttributePayload,
} from './payloads';
export { PageTokenError, SearchAttributeError, VisibilityQueryError } from './errors';
export { formatExpr, formatQuery } from './format';
export { DEFAULT_PAGE_SIZE, listPage, type Page } from './pagination';
export { parseQuery } from './parser';
export {
  executionStatusName,
  EXECUTION_STATUS_NAMES,
  type ExecutionStatusName,
  type VisibilityRecord,
} from './record';
export {
  createSearchAttributeRegistry,
  DEV_SERVER_CUSTOM_SEARCH_ATTRIBUTES,
  MAX_CUSTOM_SEARCH_ATTRIBUTES,
  parseSearchAttributeType,
  SEARCH_ATTRIBUTE_TYPES,
  SYSTEM_SEARCH_ATTRIBUTES,
  toIndexedValueType,
  type IndexedValueTypeName,
  type ListSearchAttributesResult,
  type SearchAttributeLookup,
  type SearchAttributeRegistry,
  type SearchAttributeType,
} from './search-attributes';
export { tokenize, type Token, type TokenKind } from './tokenizer';
export { parseGoDuration, parseRfc3339 } from './values';
