import { createHash } from 'node:crypto';
import type { AttributeRef, ComparisonOperator, Expr, Literal, QueryAst } from './ast';
import { VisibilityQueryError } from './errors';
import { formatQuery } from './format';
import { parseQuery } from './parser';
import { EXECUTION_STATUS_NAMES, type VisibilityRecord } from './record';
import type { SearchAttributeLookup, SearchAttributeType } from './search-attributes';
import { parseGoDuration, parseRfc3339, readAttribute, textTokens, type NormalizedValue } from './values';

/** One component of a record's sort key; null sorts before every value. */
export type SortKeyPart = string | number | null;

/** A compiled ORDER BY term (after defaults). */
export interface CompiledOrder {
  attribute: string;
  direction: 'ASC' | 'DESC';
}

/** A query ready to run over records. */
export interface CompiledFilter {
  /** True when the record satisfies the WHERE part (always true for an empty query). */
  matches(record: VisibilityRecord): boolean;
  /** Effective order: the query's ORDER BY, or the default; RunId ASC breaks ties. */
  orderBy: readonly CompiledOrder[];
  /** GROUP BY attribute names (Count only; empty otherwise). */
  groupBy: readonly string[];
  /** The record's position in `orderBy` order (used for stable page cursors). */
  sortKey(record: VisibilityRecord): SortKeyPart[];
  /** Orders records (negative when `a` comes first). */
  compare(a: VisibilityRecord, b: VisibilityRecord): number;
  /** Orders two sort keys, as `compare` does for their records. */
  compareKeys(a: readonly SortKeyPart[], b: readonly SortKeyPart[]): number;
  /** Hash of the canonical query; page tokens carry it so they cannot be replayed elsewhere. */
  fingerprint: string;
}

/** Options for compileFilter. */
export interface CompileOptions {
  /** `count` allows GROUP BY ExecutionStatus and forbids ORDER BY; `list` the reverse. @default 'list' */
  purpose?: 'list' | 'count';
}

type Predicate = (record: VisibilityRecord) => boolean;

/**
 * Default order (docs.temporal.io/list-filter, SQL visibility): running executions first, then
 * CloseTime DESC, StartTime DESC, RunId. A running execution's CloseTime key is +∞.
 */
export const DEFAULT_ORDER: readonly CompiledOrder[] = [
  { attribute: 'CloseTime', direction: 'DESC' },
  { attribute: 'StartTime', direction: 'DESC' },
  { attribute: 'RunId', direction: 'ASC' },
];

const OPEN_CLOSE_TIME = Number.MAX_SAFE_INTEGER;

/**
 * Parses and type-checks `query` against `registry` and compiles it to closures. Throws
 * VisibilityQueryError (→ INVALID_ARGUMENT) naming the column of unknown attributes, type or
 * operator mismatches and syntax errors.
 */
export function compileFilter(
  query: string,
  registry: SearchAttributeLookup,
  options: CompileOptions = {},
): CompiledFilter {
  const ast = parseQuery(query);
  return compileAst(ast, registry, options);
}

/** compileFilter over an already-parsed AST. */
export function compileAst(
  ast: QueryAst,
  registry: SearchAttributeLookup,
  options: CompileOptions = {},
): CompiledFilter {
  const purpose = options.purpose ?? 'list';
  const typeOf = (attr: AttributeRef): SearchAttributeType => {
    const type = registry.typeOf(attr.name);
    if (type === undefined) {
      throw new VisibilityQueryError(
        `search attribute '${attr.name}' is not defined`,
        attr.column,
        attr.name,
      );
    }
    return type;
  };

  const predicate: Predicate = ast.filter ? compileExpr(ast.filter, typeOf) : () => true;

  if (ast.groupBy.length > 0) {
    const first = ast.groupBy[0]!;
    if (purpose !== 'count') {
      throw new VisibilityQueryError(
        'GROUP BY is only supported by CountWorkflowExecutions',
        first.column,
        'GROUP BY',
      );
    }
    if (ast.groupBy.length > 1 || first.name !== 'ExecutionStatus') {
      const bad = ast.groupBy.find((a) => a.name !== 'ExecutionStatus') ?? ast.groupBy[1]!;
      throw new VisibilityQueryError(
        "GROUP BY is only supported for the single attribute 'ExecutionStatus'",
        bad.column,
        bad.name,
      );
    }
  }
  if (ast.orderBy.length > 0 && purpose === 'count') {
    const first = ast.orderBy[0]!.attr;
    throw new VisibilityQueryError(
      'ORDER BY is not supported by CountWorkflowExecutions',
      first.column,
      first.name,
    );
  }

  const orderBy: CompiledOrder[] =
    ast.orderBy.length === 0
      ? [...DEFAULT_ORDER]
      : ast.orderBy.map(({ attr, direction }) => {
          const type = typeOf(attr);
          if (type === 'Text') {
            throw new VisibilityQueryError(
              `cannot ORDER BY Text attribute '${attr.name}'; use a Keyword attribute`,
              attr.column,
              attr.name,
            );
          }
          return { attribute: attr.name, direction };
        });
  if (!orderBy.some((o) => o.attribute === 'RunId')) orderBy.push({ attribute: 'RunId', direction: 'ASC' });

  const types = orderBy.map((o) => registry.typeOf(o.attribute) ?? 'Keyword');
  const sortKey = (record: VisibilityRecord): SortKeyPart[] =>
    orderBy.map((o, i) => {
      if (ast.orderBy.length === 0 && o.attribute === 'CloseTime') {
        return record.closeTime ?? OPEN_CLOSE_TIME;
      }
      return toSortPart(readAttribute(record, o.attribute, types[i]!));
    });
  const compareKeys = (a: readonly SortKeyPart[], b: readonly SortKeyPart[]): number => {
    for (let i = 0; i < orderBy.length; i++) {
      const c = compareParts(a[i] ?? null, b[i] ?? null);
      if (c !== 0) return orderBy[i]!.direction === 'ASC' ? c : -c;
    }
    return 0;
  };

  return {
    matches: predicate,
    orderBy,
    groupBy: ast.groupBy.map((a) => a.name),
    sortKey,
    compareKeys,
    compare: (a, b) => compareKeys(sortKey(a), sortKey(b)),
    fingerprint: createHash('sha256').update(formatQuery(ast)).digest('base64url').slice(0, 16),
  };
}

function toSortPart(value: NormalizedValue | undefined): SortKeyPart {
  if (value === undefined) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (Array.isArray(value)) return (value as readonly string[])[0] ?? null;
  return value as string | number;
}

function compareParts(a: SortKeyPart, b: SortKeyPart): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

const ORDERED_OPS: ReadonlySet<ComparisonOperator> = new Set(['>', '>=', '<', '<=']);

function compileExpr(expr: Expr, typeOf: (attr: AttributeRef) => SearchAttributeType): Predicate {
  switch (expr.kind) {
    case 'and': {
      const l = compileExpr(expr.left, typeOf);
      const r = compileExpr(expr.right, typeOf);
      return (rec) => l(rec) && r(rec);
    }
    case 'or': {
      const l = compileExpr(expr.left, typeOf);
      const r = compileExpr(expr.right, typeOf);
      return (rec) => l(rec) || r(rec);
    }
    case 'not': {
      const inner = compileExpr(expr.expr, typeOf);
      return (rec) => !inner(rec);
    }
    case 'isNull': {
      const type = typeOf(expr.attr);
      const name = expr.attr.name;
      const negated = expr.negated;
      return (rec) => {
        const v = readAttribute(rec, name, type);
        const missing = v === undefined || (Array.isArray(v) && v.length === 0);
        return missing !== negated;
      };
    }
    case 'compare':
      return compileCompare(expr.attr, typeOf(expr.attr), expr.op, expr.value);
    case 'in': {
      const type = typeOf(expr.attr);
      requireOp(type !== 'Text' && type !== 'Bool', expr.attr, type, 'IN');
      const values = expr.values.map((v) => coerce(v, type, expr.attr));
      const name = expr.attr.name;
      const negated = expr.negated;
      if (type === 'KeywordList') {
        const set = new Set(values as string[]);
        return (rec) => {
          const v = readAttribute(rec, name, type) as readonly string[] | undefined;
          if (v === undefined) return false;
          return v.some((x) => set.has(x)) !== negated;
        };
      }
      const set = new Set<string | number>(values as (string | number)[]);
      return (rec) => {
        const v = readAttribute(rec, name, type);
        if (v === undefined) return false;
        return set.has(v as string | number) !== negated;
      };
    }
    case 'between': {
      const type = typeOf(expr.attr);
      requireOp(
        type === 'Int' || type === 'Double' || type === 'Datetime' || type === 'Keyword',
        expr.attr,
        type,
        'BETWEEN',
      );
      const low = coerce(expr.low, type, expr.attr) as string | number;
      const high = coerce(expr.high, type, expr.attr) as string | number;
      const name = expr.attr.name;
      const negated = expr.negated;
      return (rec) => {
        const v = readAttribute(rec, name, type) as string | number | undefined;
        if (v === undefined) return false;
        return (v >= low && v <= high) !== negated;
      };
    }
    case 'startsWith': {
      const type = typeOf(expr.attr);
      requireOp(type === 'Keyword' || type === 'KeywordList', expr.attr, type, 'STARTS_WITH');
      if (expr.prefix.kind !== 'string') {
        throw new VisibilityQueryError(
          'STARTS_WITH needs a quoted string',
          expr.prefix.column,
          literalText(expr.prefix),
        );
      }
      const prefix = expr.prefix.value;
      const name = expr.attr.name;
      const negated = expr.negated;
      return (rec) => {
        const v = readAttribute(rec, name, type);
        if (v === undefined) return false;
        const hit = Array.isArray(v)
          ? (v as readonly string[]).some((x) => x.startsWith(prefix))
          : (v as string).startsWith(prefix);
        return hit !== negated;
      };
    }
  }
}

function compileCompare(
  attr: AttributeRef,
  type: SearchAttributeType,
  op: ComparisonOperator,
  literal: Literal,
): Predicate {
  const name = attr.name;
  if (type === 'Text' || type === 'Bool' || type === 'KeywordList') {
    requireOp(!ORDERED_OPS.has(op), attr, type, op);
  }
  const value = coerce(literal, type, attr);
  const negated = op === '!=';
  if (type === 'Text') {
    const wanted = textTokens(value as string);
    return (rec) => {
      const v = readAttribute(rec, name, type) as string | undefined;
      if (v === undefined) return false;
      // Substring pre-check rejects most values without tokenising them.
      const lower = v.toLowerCase();
      if (!wanted.every((t) => lower.includes(t))) return negated;
      const have = new Set(textTokens(v));
      return wanted.every((t) => have.has(t)) !== negated;
    };
  }
  if (type === 'KeywordList') {
    return (rec) => {
      const v = readAttribute(rec, name, type) as readonly string[] | undefined;
      if (v === undefined) return false;
      return v.includes(value as string) !== negated;
    };
  }
  const target = value as string | number | boolean;
  return (rec) => {
    const v = readAttribute(rec, name, type) as string | number | boolean | undefined;
    if (v === undefined) return false;
    switch (op) {
      case '=':
        return v === target;
      case '!=':
        return v !== target;
      case '>':
        return v > target;
      case '>=':
        return v >= target;
      case '<':
        return v < target;
      case '<=':
        return v <= target;
    }
  };
}

function requireOp(ok: boolean, attr: AttributeRef, type: SearchAttributeType, op: string): void {
  if (!ok) {
    throw new VisibilityQueryError(
      `operator '${op}' is not supported for ${type} attribute '${attr.name}'`,
      attr.column,
      attr.name,
    );
  }
}

function literalText(literal: Literal): string {
  return literal.kind === 'number' ? literal.text : String(literal.value);
}

/** Converts a literal to the attribute's comparable form, or throws naming the expectation. */
function coerce(literal: Literal, type: SearchAttributeType, attr: AttributeRef): NormalizedValue {
  const fail = (expected: string): never => {
    throw new VisibilityQueryError(
      `invalid value for ${type} attribute '${attr.name}': expected ${expected}`,
      literal.column,
      literalText(literal),
    );
  };
  if (attr.name === 'ExecutionStatus') {
    if (literal.kind !== 'string') return fail(`a status name (${EXECUTION_STATUS_NAMES.join(', ')})`);
    const status = EXECUTION_STATUS_NAMES.find((s) => s.toLowerCase() === literal.value.toLowerCase());
    return status ?? fail(`a status name (${EXECUTION_STATUS_NAMES.join(', ')})`);
  }
  if (attr.name === 'ExecutionDuration') {
    // Nanoseconds as a number, or a Go duration string; compared in milliseconds.
    if (literal.kind === 'number' && Number.isInteger(literal.value)) return literal.value / 1e6;
    if (literal.kind === 'string')
      return parseGoDuration(literal.value) ?? fail("a duration such as '90s' or '1h30m'");
    return fail("a duration such as '90s' or '1h30m'");
  }
  switch (type) {
    case 'Keyword':
    case 'Text':
    case 'KeywordList':
      return literal.kind === 'string' ? literal.value : fail('a quoted string');
    case 'Int':
      return literal.kind === 'number' && Number.isInteger(literal.value)
        ? literal.value
        : fail('an integer');
    case 'Double':
      return literal.kind === 'number' ? literal.value : fail('a number');
    case 'Bool':
      if (literal.kind === 'bool') return literal.value;
      if (literal.kind === 'string' && /^(true|false)$/i.test(literal.value)) {
        return literal.value.toLowerCase() === 'true';
      }
      return fail('true or false');
    case 'Datetime': {
      if (literal.kind !== 'string') return fail("an RFC 3339 timestamp such as '2026-01-02T15:04:05Z'");
      return parseRfc3339(literal.value) ?? fail("an RFC 3339 timestamp such as '2026-01-02T15:04:05Z'");
    }
  }
}
