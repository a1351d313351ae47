import fc from 'fast-check';
import {
  formatQuery,
  parseQuery,
  VisibilityQueryError,
  type Expr,
  type Literal,
  type QueryAst,
} from '../../../../services/devserver/visibility';

function errorOf(query: string): VisibilityQueryError {
  try {
    parseQuery(query);
  } catch (error) {
    if (error instanceof VisibilityQueryError) return error;
    throw error;
  }
  throw new Error(`expected '${query}' to fail`);
}

describe('parseQuery', () => {
  it('parses an empty query to no filter', () => {
    expect(parseQuery('   ')).toEqual({ filter: undefined, groupBy: [], orderBy: [] });
  });

  it('gives AND precedence over OR and honours parentheses', () => {
    const flat = parseQuery("A = 'a' OR B = 'b' AND C = 'c'").filter!;
    expect(flat.kind).toBe('or');
    expect((flat as Extract<Expr, { kind: 'or' }>).right.kind).toBe('and');
    const grouped = parseQuery("(A = 'a' OR B = 'b') AND C = 'c'").filter!;
    expect(grouped.kind).toBe('and');
    expect((grouped as Extract<Expr, { kind: 'and' }>).left.kind).toBe('or');
  });

  it('parses every predicate form with case-insensitive keywords', () => {
    const ast = parseQuery(
      "WorkflowId in ('a', \"b\") and X not in (1, 2.5) AND T between '2026-01-01T00:00:00Z' and '2026-02-01T00:00:00Z' " +
        "AND K starts_with 'pre' AND N is null AND M IS NOT NULL AND NOT B = true AND C <> 3 AND D >= -4",
    );
    expect(formatQuery(ast)).toBe(
      "((((((((WorkflowId IN ('a', 'b') AND X NOT IN (1, 2.5)) AND T BETWEEN '2026-01-01T00:00:00Z' AND '2026-02-01T00:00:00Z') AND K STARTS_WITH 'pre') AND N IS NULL) AND M IS NOT NULL) AND NOT B = true) AND C != 3) AND D >= -4)",
    );
  });

  it('reads escapes, doubled quotes and backquoted names', () => {
    const ast = parseQuery('`Order` = \'it\\\'s\' AND Name = "say ""hi""\\n"');
    const and = ast.filter as Extract<Expr, { kind: 'and' }>;
    const left = and.left as Extract<Expr, { kind: 'compare' }>;
    const right = and.right as Extract<Expr, { kind: 'compare' }>;
    expect(left.attr.name).toBe('Order');
    expect(left.value).toMatchObject({ kind: 'string', value: "it's" });
    expect(right.value).toMatchObject({ kind: 'string', value: 'say "hi"\n' });
  });

  it('parses GROUP BY and ORDER BY with directions', () => {
    const ast = parseQuery("WorkflowType = 'w' GROUP BY ExecutionStatus ORDER BY StartTime, CloseTime DESC");
    expect(ast.groupBy.map((a) => a.name)).toEqual(['ExecutionStatus']);
    expect(ast.orderBy.map((o) => [o.attr.name, o.direction])).toEqual([
      ['StartTime', 'ASC'],
      ['CloseTime', 'DESC'],
    ]);
    expect(parseQuery('ORDER BY StartTime DESC').filter).toBeUndefined();
  });

  it.each([
    ["WorkflowId = 'a' AND", 21, 'end of query'],
    ["WorkflowId 'a'", 12, "'a'"],
    ["WorkflowId = 'unterminated", 14, "'unterminated"],
    ['WorkflowId = ', 14, 'end of query'],
    ["(WorkflowId = 'a'", 18, 'end of query'],
    ["WorkflowId = 'a' )", 18, ')'],
    ["WorkflowId = 'a' # x", 18, '#'],
    ['X IN ()', 7, ')'],
    ['X = 12abc', 5, '12abc'],
    ["= 'a'", 1, '='],
    ['X BETWEEN 1 OR 2', 13, 'OR'],
  ])('rejects %j at column %i near %j', (query, column, token) => {
    const error = errorOf(query);
    expect(error.name).toBe('VisibilityQueryError');
    expect(error.column).toBe(column);
    expect(error.token).toBe(token);
    expect(error.message).toMatch(new RegExp(`^invalid query: .*\\(column ${column}, near`));
  });
});

const names = fc.constantFrom('WorkflowId', 'StartTime', 'CustomIntField', 'Order', 'my.attr', 'x_1');
const literal: fc.Arbitrary<Literal> = fc.oneof(
  fc.string({ maxLength: 8 }).map((value) => ({ kind: 'string' as const, value, column: 0 })),
  fc
    .integer({ min: -1000, max: 1000 })
    .map((n) => ({ kind: 'number' as const, value: n, text: String(n), column: 0 })),
  fc.boolean().map((value) => ({ kind: 'bool' as const, value, column: 0 })),
);
const attr = names.map((name) => ({ name, column: 0 }));
const { expr } = fc.letrec<{ expr: Expr }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({
      kind: fc.constant('compare' as const),
      attr,
      op: fc.constantFrom('=', '!=', '>', '>=', '<', '<=' as const),
      value: literal,
    }),
    fc.record({
      kind: fc.constant('in' as const),
      attr,
      values: fc.array(literal, { minLength: 1, maxLength: 3 }),
      negated: fc.boolean(),
    }),
    fc.record({
      kind: fc.constant('between' as const),
      attr,
      low: literal,
      high: literal,
      negated: fc.boolean(),
    }),
    fc.record({ kind: fc.constant('startsWith' as const), attr, prefix: literal, negated: fc.boolean() }),
    fc.record({ kind: fc.constant('isNull' as const), attr, negated: fc.boolean() }),
    fc.record({ kind: fc.constant('and' as const), left: tie('expr'), right: tie('expr') }),
    fc.record({ kind: fc.constant('or' as const), left: tie('expr'), right: tie('expr') }),
    fc.record({ kind: fc.constant('not' as const), expr: tie('expr') }),
  ),
}));

function stripColumns(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripColumns);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => k !== 'column')
        .map(([k, v]) => [k, stripColumns(v)]),
    );
  }
  return value;
}

describe('parseQuery ∘ formatQuery', () => {
  it('round-trips generated queries', () => {
    fc.assert(
      fc.property(
        fc.option(expr, { nil: undefined }),
        fc.array(fc.record({ attr, direction: fc.constantFrom('ASC' as const, 'DESC' as const) }), {
          maxLength: 2,
        }),
        (filter, orderBy) => {
          const ast: QueryAst = { filter, groupBy: [], orderBy };
          const text = formatQuery(ast);
          expect(stripColumns(parseQuery(text))).toEqual(stripColumns(ast));
        },
      ),
      { numRuns: 300 },
    );
  });
});
